import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENVIRONMENT_ARTIFACT, ENVIRONMENT_HASH_TAG, environmentPackagesTags, parseFreeze } from '@cairn/contracts';
import { type CairnClient, fileProvenanceTags, HEARTBEAT_INTERVAL_MS, readGit, sha256, withoutCredentials } from '@cairn/sdk';
import { type EnvManager, freezeEnvironment, onPath, prepareEnvironment } from './environment';
import { entryPointOf, loadProject, ProjectError, type ProjectEnvironment, resolveEntryPoint } from './mlproject';
import { cacheRoot, fetchProject, git, parseProjectUri } from './source';

export type ProjectRunStatus = 'FINISHED' | 'FAILED' | 'KILLED';

export interface ProjectRunRequest {
  uri: string;
  entryPoint: string;
  params: Record<string, string>;
  experimentId: string;
  envManager: EnvManager;
  /** Extra tags for the run (`cairn.reproduces`). */
  tags?: Record<string, string>;
  /** Use this recorded `pip freeze` to build the environment (reproduce). */
  frozen?: string;
  /** Restore DVC-tracked data with `dvc pull` before running (reproduce), refusing when dvc is missing. */
  restoreData?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Where the child's output goes. */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface ProjectRunResult {
  runId: string;
  experimentId: string;
  status: ProjectRunStatus;
  exitCode: number | null;
  command: string;
}

/** The project, entry point, parameters and environment resolved and checked, before any run exists. */
export interface ProjectPlan {
  dir: string;
  command: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  environment: ProjectEnvironment;
}

function user(env: NodeJS.ProcessEnv): string {
  try {
    return os.userInfo().username || (env['USER'] ?? 'unknown');
  } catch {
    return env['USER'] ?? 'unknown';
  }
}

/**
 * Fetches and reads the project and checks the parameters: everything that can refuse the request
 * happens here, so a refused `cairn run` leaves no run behind. The tags are those `mlflow run`
 * sets (mlflow/projects/utils.py `_create_run`, and the local backend's `mlflow.project.*`), plus
 * Cairn's provenance: the dirty flag, lockfile and DVC hashes, and where the project came from so
 * that `cairn reproduce` can fetch it again.
 */
export async function planProjectRun(request: Pick<ProjectRunRequest, 'uri' | 'entryPoint' | 'params' | 'envManager' | 'env'>): Promise<ProjectPlan> {
  const env = request.env ?? process.env;
  const uri = parseProjectUri(request.uri);
  const fetched = await fetchProject(uri, cacheRoot(env));
  const project = loadProject(fetched.dir);
  const entry = entryPointOf(project, request.entryPoint, env);
  const resolved = resolveEntryPoint(entry, request.params, fetched.dir);
  if (request.envManager !== 'local' && (project.environment.type === 'conda_env' || project.environment.type === 'docker_env'))
    throw new ProjectError(
      `the project declares a ${project.environment.type}: not supported on this machine (use --env local to run it with the current python)`,
    );
  if (project.environment.type === 'docker_env')
    throw new ProjectError(`the project runs in a docker image (${project.environment.image}): not supported on this machine`);

  const repo = await readGit(fetched.dir);
  const tags: Record<string, string> = {
    'mlflow.user': user(env),
    'mlflow.source.type': 'PROJECT',
    'mlflow.project.entryPoint': entry.name,
    'mlflow.project.backend': 'local',
    ...(request.envManager !== 'local' ? { 'mlflow.project.env': request.envManager } : {}),
    'cairn.project.env': request.envManager,
    'cairn.project.environment_type': project.environment.type,
  };
  let subdir = '';
  if (repo !== undefined) {
    subdir = path.relative(repo.root, fetched.dir).split(path.sep).join('/');
    const repoUrl = uri.kind === 'git' ? withoutCredentials(uri.location) : repo.repoUrl;
    tags['mlflow.source.git.commit'] = repo.commit;
    // MLflow 2.x's mlflow run also writes the legacy key (3.x dropped it); older UIs and scripts read it.
    if (repoUrl !== undefined) Object.assign(tags, { 'mlflow.source.git.repoURL': repoUrl, 'mlflow.gitRepoURL': repoUrl });
    // As mlflow run names the source: a remote project by its URI in MLflow's `uri#subdir` form, a
    // local one by its repository's remote plus the subdirectory, else by its path.
    tags['mlflow.source.name'] =
      uri.kind === 'git'
        ? `${withoutCredentials(uri.location)}${subdir ? `#${subdir}` : ''}`
        : repo.repoUrl !== undefined
          ? `${repo.repoUrl}#${subdir}`
          : fetched.dir;
    if (uri.kind === 'git' && uri.ref !== undefined && (await isBranch(uri.location, uri.ref, fetched.dir))) tags['mlflow.source.git.branch'] = uri.ref;
    tags['cairn.git.dirty'] = String(repo.dirty);
    // Where reproduce fetches the commit from: the URI given, or the local repository's own root.
    tags['cairn.project.repo'] = uri.kind === 'git' ? withoutCredentials(uri.location) : repo.root;
    tags['cairn.project.subdir'] = subdir;
    if (uri.ref !== undefined) tags['cairn.project.ref'] = uri.ref;
  } else {
    tags['mlflow.source.name'] = fetched.dir;
    tags['cairn.project.repo'] = fetched.dir;
  }
  if (project.name !== undefined) tags['cairn.project.name'] = project.name;
  Object.assign(tags, fileProvenanceTags(repo !== undefined ? [fetched.dir, repo.root] : [fetched.dir]));
  return { dir: fetched.dir, command: resolved.command, params: resolved.params, tags, environment: project.environment };
}

/**
 * `dvc pull` in the checkout: the `.dvc` files at the run's commit name the data it trained on, so
 * pulling restores exactly the recorded data hash. Without dvc the data cannot be restored, and a
 * rerun on whatever data is lying around is the trap reproduction exists to avoid: refused.
 */
async function restoreDvcData(plan: ProjectPlan, env: NodeJS.ProcessEnv, log: (line: string) => void, output: NodeJS.WritableStream): Promise<void> {
  const files = plan.tags['cairn.dvc.files'];
  if (files === undefined) return;
  const dvc = onPath(['dvc'], env);
  if (dvc === undefined)
    throw new ProjectError(
      `the project tracks its data with DVC (${files}; data hash ${plan.tags['cairn.dvc.data_hash'] ?? '?'}), and dvc is not on PATH: install dvc to restore it, or pass --skip-data to run on the data in the checkout`,
    );
  log(`cairn: dvc pull (${files})\n`);
  await new Promise<void>((resolve, reject) => {
    // Its output is progress, not the command's answer: to stderr, so `--json` stays parseable.
    const child = spawn(dvc, ['pull'], { cwd: plan.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(output, { end: false });
    child.stderr.pipe(output, { end: false });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new ProjectError(`dvc pull failed (exit ${String(code)}) in ${plan.dir}`))));
  });
}

async function isBranch(location: string, ref: string, dir: string): Promise<boolean> {
  try {
    return (await git(['ls-remote', '--heads', location, ref], dir, 30_000)) !== '';
  } catch {
    return false;
  }
}

/**
 * `cairn run`: plans the run (refusing before anything exists), builds the environment, creates
 * the run with its tags and params, records the environment, then runs the entry point's command
 * with `bash -c` (as MLflow does) in the project directory, with MLFLOW_RUN_ID and
 * MLFLOW_TRACKING_URI set so the official client logs into this run. The run ends with the child's
 * status: FAILED on a non-zero exit, KILLED when interrupted (SIGINT/SIGTERM are passed to the
 * child's process group first).
 */
export async function runProject(client: CairnClient, request: ProjectRunRequest, onCreated?: (runId: string) => void): Promise<ProjectRunResult> {
  const env = request.env ?? process.env;
  const plan = await planProjectRun(request);
  const log = (line: string) => request.stderr.write(line);
  if (request.restoreData === true) await restoreDvcData(plan, env, log, request.stderr);
  const prepared = await prepareEnvironment(request.envManager, plan.environment, plan.dir, cacheRoot(env), { env, frozen: request.frozen, log });
  const freeze = await freezeEnvironment(prepared);

  // The full freeze is an artifact; the same versions as tags let the server diff two runs' environments.
  const environmentTags = freeze !== undefined ? { [ENVIRONMENT_HASH_TAG]: sha256(freeze), ...environmentPackagesTags(parseFreeze(freeze)) } : {};
  const tags = { ...plan.tags, ...request.tags, ...environmentTags };
  const run = await client.createRun({ experimentId: request.experimentId, tags });
  const runId = run.info.run_id;
  onCreated?.(runId);
  const params = Object.entries(plan.params).map(([key, value]) => ({ key, value }));
  if (params.length > 0) await client.logBatch(runId, { params });
  if (freeze !== undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-env-'));
    try {
      writeFileSync(path.join(dir, path.basename(ENVIRONMENT_ARTIFACT)), freeze);
      await client.uploadArtifact(runId, path.join(dir, path.basename(ENVIRONMENT_ARTIFACT)), path.dirname(ENVIRONMENT_ARTIFACT), {
        artifactUri: run.info.artifact_uri,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  log(`cairn: run ${runId} in experiment ${request.experimentId}: ${plan.command}\n`);
  const { exitCode, interrupted } = await runChild(
    plan.command,
    plan.dir,
    {
      ...env,
      ...prepared.env,
      MLFLOW_RUN_ID: runId,
      MLFLOW_TRACKING_URI: client.trackingUri,
      MLFLOW_EXPERIMENT_ID: request.experimentId,
    },
    request,
    () => void client.heartbeat(runId).catch(() => undefined),
  );
  const status: ProjectRunStatus = interrupted ? 'KILLED' : exitCode === 0 ? 'FINISHED' : 'FAILED';
  await client.updateRun(runId, { status, endTime: Date.now() });
  return { runId, experimentId: request.experimentId, status, exitCode, command: plan.command };
}

function runChild(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  heartbeat: () => void,
): Promise<{ exitCode: number | null; interrupted: boolean }> {
  // Its own process group, so an interrupt reaches the whole command (a shell and what it started).
  const child = spawn('bash', ['-c', command], { cwd, env, stdio: ['inherit', 'pipe', 'pipe'], detached: true });
  child.stdout.pipe(io.stdout, { end: false });
  child.stderr.pipe(io.stderr, { end: false });
  let interrupted = false;
  const forward = (signal: NodeJS.Signals) => {
    interrupted = true;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onInt = () => forward('SIGINT');
  const onTerm = () => forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const beat = setInterval(heartbeat, HEARTBEAT_INTERVAL_MS);
  heartbeat();
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new ProjectError(`cannot start bash: ${error.message}`)));
    child.once('close', (code, signal) => {
      clearInterval(beat);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve({ exitCode: code ?? (signal !== null ? 128 + (os.constants.signals[signal] ?? 0) : null), interrupted });
    });
  });
}
