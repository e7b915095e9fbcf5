import { invalidParameter } from '@cairn/contracts';
import { normaliseArtifactPath } from '@cairn/blobstore';

/**
 * Retention for checkpoint-like artifacts: under `prefix`, keep the last `keepLast` checkpoints
 * and the best `keepBest` by a metric. A checkpoint is one entry directly under the prefix — a file
 * (`checkpoints/epoch_3.ckpt`) or a directory (`checkpoints/checkpoint-300/…`) — and its step is
 * the last integer in its name, which is how autologging frameworks name them.
 */
export interface RetentionPolicy {
  policyId: string;
  experimentId: string;
  /** Checked relative path, ending in `/` (or '' for the whole run). */
  prefix: string;
  keepLast: number | null;
  keepBest: number | null;
  metricKey: string | null;
  metricGoal: 'max' | 'min' | null;
}

export interface Checkpoint {
  /** The entry name directly under the prefix. */
  name: string;
  /** Upload order of its newest file. */
  lastSeq: number;
  step: number | null;
  /** The policy metric at `step`; null when unknown (not logged yet, or no step in the name). */
  metric: number | null;
}

export interface PolicyInput {
  experimentId: string;
  prefix: string;
  keepLast?: number | null;
  keepBest?: number | null;
  metricKey?: string | null;
  metricGoal?: 'max' | 'min' | null;
}

/** Validates a policy as set through the API; the prefix is a checked path ending in `/`. */
export function validatePolicy(input: PolicyInput): Omit<RetentionPolicy, 'policyId'> {
  const keepLast = input.keepLast ?? null;
  const keepBest = input.keepBest ?? null;
  if (keepLast === null && keepBest === null) throw invalidParameter('A retention policy needs keep_last, keep_best, or both.');
  if ((keepLast ?? 1) < 0 || (keepBest ?? 1) < 0) throw invalidParameter('keep_last and keep_best must not be negative.');
  if ((keepLast ?? 0) + (keepBest ?? 0) < 1) throw invalidParameter('A retention policy must keep at least one checkpoint.');
  const metricKey = input.metricKey ?? null;
  if (keepBest !== null && keepBest > 0 && !metricKey) throw invalidParameter('keep_best needs metric_key.');
  const prefix = normaliseArtifactPath(input.prefix);
  return {
    experimentId: input.experimentId,
    prefix: `${prefix}/`,
    keepLast,
    keepBest,
    metricKey,
    metricGoal: metricKey ? (input.metricGoal ?? 'max') : null,
  };
}

/** The step of a checkpoint name: its last integer (`epoch=3-step=300.ckpt` → 300, `epoch_7` → 7). */
export function stepOf(name: string): number | null {
  const numbers = name.match(/\d+/g);
  if (!numbers) return null;
  const value = Number(numbers[numbers.length - 1]);
  return Number.isSafeInteger(value) ? value : null;
}

/** Groups files below the policy prefix into checkpoints. */
export function checkpointsOf(prefix: string, files: ReadonlyArray<{ relativePath: string; seq: number }>): Array<Omit<Checkpoint, 'metric'>> {
  const byName = new Map<string, number>();
  for (const file of files) {
    if (!file.relativePath.startsWith(prefix)) continue;
    const name = file.relativePath.slice(prefix.length).split('/')[0] ?? '';
    if (name === '') continue;
    byName.set(name, Math.max(byName.get(name) ?? 0, file.seq));
  }
  return [...byName].map(([name, lastSeq]) => ({ name, lastSeq, step: stepOf(name) }));
}

/**
 * The checkpoints to delete: everything not among the last `keepLast` nor the best `keepBest`.
 * Conservative where it cannot know: with a best-K rule, a checkpoint whose metric is not known yet
 * is kept (its metric may arrive after the file), and it is decided again at the next upload.
 */
export function decideRetention(policy: Pick<RetentionPolicy, 'keepLast' | 'keepBest' | 'metricGoal'>, checkpoints: readonly Checkpoint[]): string[] {
  const keep = new Set<string>();
  const newestFirst = [...checkpoints].sort((a, b) => b.lastSeq - a.lastSeq);
  newestFirst.slice(0, policy.keepLast ?? 0).forEach((c) => keep.add(c.name));
  if (policy.keepBest !== null && policy.keepBest > 0) {
    const sign = policy.metricGoal === 'min' ? 1 : -1;
    const ranked = checkpoints
      .flatMap((c) => (c.metric === null || Number.isNaN(c.metric) ? [] : [{ name: c.name, metric: c.metric, lastSeq: c.lastSeq }]))
      .sort((a, b) => sign * (a.metric - b.metric) || b.lastSeq - a.lastSeq);
    ranked.slice(0, policy.keepBest).forEach((c) => keep.add(c.name));
    checkpoints.filter((c) => c.metric === null).forEach((c) => keep.add(c.name));
  }
  return checkpoints
    .filter((c) => !keep.has(c.name))
    .map((c) => c.name)
    .sort();
}
