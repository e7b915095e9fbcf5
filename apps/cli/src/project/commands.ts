import { existsSync } from 'node:fs';
import { type CairnClient, type Run } from '@cairn/sdk';
import { UsageError } from '../args';
import type { Command, CommandContext } from '../commands';
import { out, renderPairs } from '../output';
import { compareRuns, recordedEnvironment, renderComparison } from './compare';
import { ENV_MANAGERS, type EnvManager } from './environment';
import { ProjectError, shellUnquote } from './mlproject';
import { planProjectRun, type ProjectRunResult, runProject } from './run-project';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function envManager(v: unknown, fallback: EnvManager): EnvManager {
  if (v === undefined) return fallback;
  const value = String(v);
  if (value === 'conda' || value === 'docker') throw new ProjectError(`--env ${value}: ${value} environments are not supported on this machine`);
  if (!(ENV_MANAGERS as readonly string[]).includes(value)) throw new UsageError(`--env must be one of ${ENV_MANAGERS.join(', ')}, got '${value}'`);
  return value as EnvManager;
}

/** `-P k=v` (repeatable) as a map; a key given twice is a mistake, not a silent override. */
function paramsOf(values: unknown): Record<string, string> {
  const params: Record<string, string> = {};
  for (const raw of Array.isArray(values) ? values.map(String) : []) {
    const eq = raw.indexOf('=');
    if (eq <= 0) throw new UsageError(`-P expects NAME=VALUE, got '${raw}'`);
    const key = raw.slice(0, eq);
    if (key in params) throw new UsageError(`-P ${key} given twice`);
    params[key] = raw.slice(eq + 1);
  }
  return params;
}

/** As `mlflow run`: --experiment-id, else the experiment named (created when missing), else MLFLOW_EXPERIMENT_*, else Default. */
async function experimentIdOf(client: CairnClient, name: string | undefined, id: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (name !== undefined && id !== undefined) throw new UsageError('give --experiment or --experiment-id, not both');
  if (id !== undefined) return id;
  const wanted = name ?? env['MLFLOW_EXPERIMENT_NAME'];
  if (wanted !== undefined) return (await client.getExperimentByName(wanted))?.experiment_id ?? (await client.createExperiment(wanted));
  return env['MLFLOW_EXPERIMENT_ID'] ?? '0';
}

function finish(ctx: CommandContext, result: ProjectRunResult, extra: Record<string, unknown> = {}): void {
  if (result.status !== 'FINISHED')
    throw new ProjectError(
      `run ${result.runId} ${result.status}${result.status === 'FAILED' ? ` (the command exited with ${String(result.exitCode)})` : ' (interrupted)'}`,
    );
  out(ctx, { run_id: result.runId, experiment_id: result.experimentId, status: result.status, ...extra }, () => `run ${result.runId} ${result.status}\n`);
}

export const RUN: Command = {
  args: ['project'],
  summary: 'run an MLproject entry point (a directory, or <git-uri>[#ref][:subdir]) into a new run',
  flags: {
    'entry-point': { type: 'string', short: 'e', placeholder: 'NAME', description: 'entry point or .py/.sh script (default main)' },
    param: { type: 'string', short: 'P', multiple: true, placeholder: 'NAME=VALUE', description: 'a parameter of the entry point' },
    experiment: { type: 'string', placeholder: 'NAME', description: 'experiment by name (created if missing)' },
    'experiment-id': { type: 'string', placeholder: 'ID' },
    env: { type: 'string', placeholder: 'local|virtualenv|uv', description: 'where the command runs (default local: the python on PATH)' },
  },
  async run(ctx, a, f) {
    const experimentId = await experimentIdOf(ctx.client, str(f['experiment']), str(f['experiment-id']), ctx.env);
    const result = await runProject(ctx.client, {
      uri: a['project'] as string,
      entryPoint: str(f['entry-point']) ?? 'main',
      params: paramsOf(f['param']),
      experimentId,
      envManager: envManager(f['env'], 'local'),
      env: ctx.env,
      stdout: ctx.json ? ctx.stderr : ctx.stdout,
      stderr: ctx.stderr,
    });
    finish(ctx, result);
  },
};

/** The run a `reproduce` target names: a run id, `models:/name/version` or `models:/name@alias`. */
export async function runOfTarget(client: CairnClient, target: string): Promise<string> {
  if (!target.startsWith('models:/')) return target;
  const ref = target.slice('models:/'.length);
  const at = ref.lastIndexOf('@');
  const slash = ref.lastIndexOf('/');
  const version =
    at > 0
      ? await client.getModelVersionByAlias(ref.slice(0, at), ref.slice(at + 1))
      : slash > 0
        ? await client.getModelVersion(ref.slice(0, slash), ref.slice(slash + 1))
        : undefined;
  if (version === undefined) throw new UsageError(`expected models:/<name>/<version> or models:/<name>@<alias>, got '${target}'`);
  if (!version.run_id) throw new ProjectError(`${target} (version ${version.version}) records no run: nothing to reproduce`);
  return version.run_id;
}

export interface ReproductionSource {
  uri: string;
  commit: string;
  entryPoint: string;
  params: Record<string, string>;
  envManager: EnvManager;
}

/**
 * What a run recorded about its code, refused with the reason when it cannot be checked out again:
 * no commit, or a dirty working tree (the code that ran is in no commit).
 */
export function reproductionSource(run: Run): ReproductionSource {
  const tags = Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
  const id = run.info.run_id;
  const commit = tags['mlflow.source.git.commit'];
  if (commit === undefined) throw new ProjectError(`run ${id} recorded no git commit (mlflow.source.git.commit): its code cannot be checked out`);
  if (tags['cairn.git.dirty'] === 'true' || tags['mlflow.source.git.dirty'] === 'true')
    throw new ProjectError(`run ${id} ran from a working tree with uncommitted changes (cairn.git.dirty=true): the code that ran is in no commit`);
  // `mlflow run` names a local project "<repo url>#<subdir>" and records no repository of its own.
  const [sourceRepo, sourceSubdir] = (tags['mlflow.source.name'] ?? '').split('#');
  // A local repository path works on the machine that ran it; elsewhere, its remote.
  const candidates = [tags['cairn.project.repo'], tags['mlflow.source.git.repoURL'], sourceSubdir !== undefined ? sourceRepo : undefined];
  const repo = candidates.find((c) => c !== undefined && c !== '' && (/^[a-z][a-z0-9+.-]*:|^git@/i.test(c) || existsSync(c))) ?? candidates.find(Boolean);
  if (repo === undefined || repo === '')
    throw new ProjectError(`run ${id} recorded no repository (cairn.project.repo or mlflow.source.git.repoURL) to fetch commit ${commit} from`);
  const subdir = tags['cairn.project.subdir'] ?? sourceSubdir ?? '';
  return {
    uri: `${repo}#${commit}${subdir ? `:${subdir}` : ''}`,
    commit,
    entryPoint: tags['mlflow.project.entryPoint'] ?? 'main',
    // MLflow logs the shell-quoted value; the value to pass again is the unquoted one.
    params: Object.fromEntries((run.data.params ?? []).map((p) => [p.key, shellUnquote(p.value)])),
    envManager: (ENV_MANAGERS as readonly string[]).includes(tags['cairn.project.env'] ?? '') ? (tags['cairn.project.env'] as EnvManager) : 'local',
  };
}

export const REPRODUCE: Command = {
  args: ['target'],
  summary: 'reproduce a run (<run_id>, models:/name/version or models:/name@alias): same commit, params, environment; then compare',
  flags: {
    'dry-run': { type: 'boolean', description: 'print the plan; create and run nothing' },
    env: { type: 'string', placeholder: 'local|virtualenv|uv', description: 'override the environment manager the run used' },
    experiment: { type: 'string', placeholder: 'NAME', description: "experiment for the new run (default: the original run's)" },
    'skip-data': { type: 'boolean', description: 'do not restore DVC-tracked data (dvc pull); run on the data in the checkout' },
  },
  async run(ctx, a, f) {
    const target = a['target'] as string;
    const originalId = await runOfTarget(ctx.client, target);
    const original = await ctx.client.getRun(originalId);
    const source = reproductionSource(original);
    const manager = envManager(f['env'], source.envManager);
    const experimentName = str(f['experiment']);
    if (f['dry-run'] === true) {
      const plan = await planProjectRun({ uri: source.uri, entryPoint: source.entryPoint, params: source.params, envManager: manager, env: ctx.env });
      const frozen = manager !== 'local' && (await recordedEnvironment(ctx.client, original)) !== undefined;
      const dvcFiles = plan.tags['cairn.dvc.files'];
      const dataPlan =
        dvcFiles === undefined ? 'no DVC-tracked data' : f['skip-data'] === true ? `${dvcFiles}: not restored (--skip-data)` : `dvc pull (${dvcFiles})`;
      out(
        ctx,
        {
          run_id: originalId,
          data: dataPlan,
          source: source.uri,
          commit: source.commit,
          entry_point: source.entryPoint,
          params: source.params,
          env: manager,
          command: plan.command,
          dir: plan.dir,
        },
        () =>
          renderPairs([
            ['reproduce', `run ${originalId}${target !== originalId ? ` (${target})` : ''}`],
            ['source', source.uri],
            ['commit', source.commit],
            ['checkout', plan.dir],
            ['entry_point', source.entryPoint],
            [
              'params',
              Object.entries(source.params)
                .map(([k, v]) => `${k}=${v}`)
                .join(' '),
            ],
            ['data', dataPlan],
            [
              'environment',
              `${manager}${manager === 'local' ? ' (the python on PATH)' : frozen ? ' (built from the recorded pip freeze)' : ' (built from the project requirements)'}`,
            ],
            ['command', plan.command],
            ['then', `a new run tagged cairn.reproduces=${originalId}, compared with it`],
          ]),
      );
      return;
    }
    const frozen = manager !== 'local' ? await recordedEnvironment(ctx.client, original) : undefined;
    const experimentId = experimentName !== undefined ? await experimentIdOf(ctx.client, experimentName, undefined, ctx.env) : original.info.experiment_id;
    const result = await runProject(ctx.client, {
      uri: source.uri,
      entryPoint: source.entryPoint,
      params: source.params,
      experimentId,
      envManager: manager,
      tags: { 'cairn.reproduces': originalId },
      restoreData: f['skip-data'] !== true,
      ...(frozen !== undefined ? { frozen } : {}),
      env: ctx.env,
      stdout: ctx.stderr,
      stderr: ctx.stderr,
    });
    if (result.status !== 'FINISHED') finish(ctx, result);
    const comparison = await compareRuns(ctx.client, original, await ctx.client.getRun(result.runId));
    out(
      ctx,
      { original_run_id: originalId, run_id: result.runId, status: result.status, comparison },
      () => `reproduced run ${originalId} as run ${result.runId}\n${renderComparison(comparison, { a: 'original', b: 'reproduced' })}`,
    );
  },
};

export const RUNS_DIFF: Command = {
  args: ['run_a', 'run_b'],
  summary: 'params, latest metrics and package versions of two runs, side by side',
  async run(ctx, a) {
    const [runA, runB] = await Promise.all([ctx.client.getRun(a['run_a'] as string), ctx.client.getRun(a['run_b'] as string)]);
    const comparison = await compareRuns(ctx.client, runA, runB);
    out(ctx, comparison, () => `A ${runA.info.run_id}\nB ${runB.info.run_id}\n${renderComparison(comparison)}`);
  },
};
