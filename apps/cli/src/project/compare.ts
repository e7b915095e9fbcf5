import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENVIRONMENT_ARTIFACT, type PackageVersionDifference } from '@cairn/contracts';
import type { CairnClient, Run } from '@cairn/sdk';

export interface MetricComparison {
  key: string;
  a?: number;
  b?: number;
  /** |b − a| / |a| (|b − a| when a is 0); undefined when either side is missing. */
  relative_difference?: number;
}

export interface RunComparison {
  run_a: string;
  run_b: string;
  params_identical: boolean;
  params: { key: string; a?: string; b?: string }[];
  metrics: MetricComparison[];
  /** Undefined when a run recorded no environment. */
  environment_diff?: PackageVersionDifference[];
  environment_recorded: { a: boolean; b: boolean };
}

const pairs = (items: { key: string; value: string }[] | undefined) => Object.fromEntries((items ?? []).map((i) => [i.key, i.value]));

/** The run's recorded `pip freeze`, or undefined when it has none. */
export async function recordedEnvironment(client: CairnClient, run: Run): Promise<string | undefined> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-env-'));
  try {
    const files = await client.listArtifactFiles(run.info.run_id, path.posix.dirname(ENVIRONMENT_ARTIFACT)).catch(() => []);
    if (!files.some((f) => f.path === ENVIRONMENT_ARTIFACT)) return undefined;
    const file = await client.downloadArtifact(run.info.run_id, ENVIRONMENT_ARTIFACT, path.join(dir, 'environment.txt'), {
      artifactUri: run.info.artifact_uri,
    });
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function relativeDifference(a: number, b: number): number {
  if (a === b) return 0;
  return a === 0 ? Math.abs(b - a) : Math.abs(b - a) / Math.abs(a);
}

/** Params, latest metrics and resolved package versions of two runs, side by side. */
export async function compareRuns(client: CairnClient, a: Run, b: Run): Promise<RunComparison> {
  const [pa, pb] = [pairs(a.data.params), pairs(b.data.params)];
  const params = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort().map((key) => ({
    key,
    ...(pa[key] !== undefined ? { a: pa[key] } : {}),
    ...(pb[key] !== undefined ? { b: pb[key] } : {}),
  }));
  // MLflow's JSON spells non-finite values as strings.
  const latest = (run: Run): Record<string, number> => Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, Number(m.value)]));
  const [ma, mb] = [latest(a), latest(b)];
  const metrics = [...new Set([...Object.keys(ma), ...Object.keys(mb)])].sort().map((key) => {
    const [x, y] = [ma[key], mb[key]];
    return {
      key,
      ...(x !== undefined ? { a: x } : {}),
      ...(y !== undefined ? { b: y } : {}),
      ...(x !== undefined && y !== undefined ? { relative_difference: relativeDifference(x, y) } : {}),
    };
  });
  const environment = await client.environmentDiff(a.info.run_id, b.info.run_id);
  return {
    run_a: a.info.run_id,
    run_b: b.info.run_id,
    params_identical: params.every((p) => p.a === p.b),
    params,
    metrics,
    ...(environment.differences !== undefined ? { environment_diff: environment.differences } : {}),
    environment_recorded: { a: environment.recorded.run_a, b: environment.recorded.run_b },
  };
}

const show = (v: string | number | undefined) => (v === undefined ? '-' : String(v));

/** The comparison as people read it: differing params, every metric, the packages that changed. */
export function renderComparison(c: RunComparison, labels: { a: string; b: string } = { a: 'A', b: 'B' }): string {
  const lines: string[] = [];
  lines.push(`params: ${c.params_identical ? 'identical' : 'DIFFERENT'}`);
  for (const p of c.params.filter((x) => x.a !== x.b)) lines.push(`  ${p.key}: ${labels.a} ${show(p.a)}  ${labels.b} ${show(p.b)}`);
  lines.push(c.metrics.length > 0 ? `metrics (${labels.a} -> ${labels.b}, relative difference):` : 'metrics: none');
  for (const m of c.metrics)
    lines.push(`  ${m.key}: ${show(m.a)} -> ${show(m.b)}${m.relative_difference !== undefined ? `  (${(m.relative_difference * 100).toPrecision(3)}%)` : ''}`);
  if (c.environment_diff === undefined)
    lines.push(
      `environment: not recorded by ${[!c.environment_recorded.a ? labels.a : '', !c.environment_recorded.b ? labels.b : ''].filter(Boolean).join(' and ')}`,
    );
  else if (c.environment_diff.length === 0) lines.push('environment: identical');
  else {
    lines.push(`environment: ${c.environment_diff.length} package(s) differ:`);
    for (const d of c.environment_diff) lines.push(`  ${d.name}: ${labels.a} ${show(d.run_a)}  ${labels.b} ${show(d.run_b)}`);
  }
  return `${lines.join('\n')}\n`;
}
