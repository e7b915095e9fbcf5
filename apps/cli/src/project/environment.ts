import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256 } from '@cairn/sdk';
import { ProjectError, type ProjectEnvironment } from './mlproject';
import { parseYamlSubset, YamlFloat, type YamlValue } from './yaml-subset';

export const ENV_MANAGERS = ['local', 'virtualenv', 'uv'] as const;
export type EnvManager = (typeof ENV_MANAGERS)[number];

export interface PreparedEnvironment {
  manager: EnvManager;
  /** Variables for the child: PATH with the environment's bin first, VIRTUAL_ENV. */
  env: NodeJS.ProcessEnv;
  /** The interpreter the project's `python` resolves to (for `pip freeze`). */
  python: string;
  /** The built environment's directory in the cache (virtualenv/uv only). */
  dir?: string;
  /** The uv that built it (`--env uv`): its venvs have no pip, so uv also lists what is installed. */
  uv?: string;
}

function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024, timeout: options.timeout ?? 1_800_000, ...options }, (error, stdout, stderr) =>
      error
        ? reject(new ProjectError(`${path.basename(file)} ${args.join(' ')} failed: ${(stderr || error.message).trim().split('\n').slice(-5).join('\n')}`))
        : resolve(stdout),
    );
  });
}

/** The first of `names` on PATH, as a shell would find it. */
export function onPath(names: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(path.delimiter).filter(Boolean))
    for (const name of names) {
      const file = path.join(dir, name);
      if (existsSync(file)) return file;
    }
  return undefined;
}

interface PythonEnvSpec {
  python?: string;
  build: string[];
  dependencies: string[];
}

const strings = (v: YamlValue | undefined): string[] => (Array.isArray(v) ? v.map((x) => String(x)) : []);

/** MLflow's python_env.yaml: `python`, `build_dependencies`, `dependencies` (`-r requirements.txt` lines allowed). */
export function readPythonEnv(file: string): PythonEnvSpec {
  const spec = parseYamlSubset(readFileSync(file, 'utf8'));
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || spec instanceof YamlFloat)
    throw new ProjectError(`${path.basename(file)}: expected a mapping`);
  return {
    ...(spec['python'] !== undefined && spec['python'] !== null ? { python: String(spec['python']) } : {}),
    build: strings(spec['build_dependencies']),
    dependencies: strings(spec['dependencies']),
  };
}

/**
 * The requirements an environment is built from: a python_env.yaml's dependencies, a
 * requirements.txt, or (for `cairn reproduce`) the exact `pip freeze` a run recorded. Requirement
 * files they name (`-r x.txt`) are inlined so that the cache key covers them.
 */
export function requirementsOf(environment: ProjectEnvironment, projectDir: string, frozen?: string): { python?: string; build: string[]; lines: string[] } {
  const inline = (lines: string[], base: string): string[] =>
    lines.flatMap((line) => {
      const m = /^\s*-r\s+(\S+)/.exec(line);
      if (m === null) return [line];
      const file = path.resolve(base, m[1] as string);
      if (!existsSync(file)) throw new ProjectError(`requirement file ${m[1] as string} not found`);
      return inline(readFileSync(file, 'utf8').split(/\r?\n/), path.dirname(file));
    });
  const clean = (lines: string[]) => lines.map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (frozen !== undefined) {
    const python = environment.type === 'python_env' ? readPythonEnv(environment.file).python : undefined;
    return { ...(python ? { python } : {}), build: [], lines: clean(frozen.split(/\r?\n/)) };
  }
  switch (environment.type) {
    case 'python_env': {
      const spec = readPythonEnv(environment.file);
      return { ...(spec.python ? { python: spec.python } : {}), build: spec.build, lines: clean(inline(spec.dependencies, path.dirname(environment.file))) };
    }
    case 'requirements':
      return { build: [], lines: clean(inline(readFileSync(environment.file, 'utf8').split(/\r?\n/), projectDir)) };
    case 'none':
      return { build: [], lines: [] };
    case 'conda_env':
    case 'docker_env':
      throw unsupported(environment);
    default: {
      const never: never = environment;
      return never;
    }
  }
}

function unsupported(environment: ProjectEnvironment): ProjectError {
  return new ProjectError(
    environment.type === 'docker_env'
      ? `the project runs in a docker image (${environment.image}): docker environments are not supported on this machine`
      : 'the project declares a conda environment: conda environments are not supported on this machine (use --env local to run it with the current python)',
  );
}

const binDir = (venv: string) => path.join(venv, process.platform === 'win32' ? 'Scripts' : 'bin');

/**
 * The environment the entry point runs in. `local` is the current PATH's python, as `mlflow run
 * --env-manager local`. `virtualenv` and `uv` build a virtual environment from the project's
 * requirements (or a recorded freeze) into the cache, keyed by the hash of what it is built from, so
 * a second run with the same requirements reuses it. MLflow would install a missing python version
 * with pyenv; Cairn refuses instead, naming the version.
 */
export async function prepareEnvironment(
  manager: EnvManager,
  environment: ProjectEnvironment,
  projectDir: string,
  cache: string,
  options: { env?: NodeJS.ProcessEnv; frozen?: string; log?: (line: string) => void } = {},
): Promise<PreparedEnvironment> {
  const env = options.env ?? process.env;
  if (environment.type === 'docker_env') throw unsupported(environment);
  if (manager === 'local') {
    const python = onPath(['python', 'python3'], env);
    if (python === undefined) throw new ProjectError('no python on PATH for --env local');
    return { manager, env: {}, python };
  }
  if (environment.type === 'conda_env') throw unsupported(environment);
  const uv = manager === 'uv' ? onPath(['uv'], env) : undefined;
  if (manager === 'uv' && uv === undefined)
    throw new ProjectError('--env uv needs the uv executable on PATH (https://docs.astral.sh/uv/); or use --env virtualenv');
  const base = onPath(['python3', 'python'], env);
  if (base === undefined) throw new ProjectError(`no python on PATH to build the ${manager} environment with`);
  const wanted = requirementsOf(environment, projectDir, options.frozen);
  const version = (await run(base, ['-c', 'import platform; print(platform.python_version())'])).trim();
  if (wanted.python !== undefined && !(version === wanted.python || version.startsWith(`${wanted.python}.`)))
    throw new ProjectError(`the project asks for python ${wanted.python}; this machine's ${base} is ${version} (installing other versions is not supported)`);

  const key = sha256(JSON.stringify({ manager, python: version, build: wanted.build, lines: wanted.lines })).slice(0, 24);
  const dir = path.join(cache, 'envs', `${manager}-${key}`);
  const python = path.join(binDir(dir), 'python');
  const childEnv = { PATH: `${binDir(dir)}${path.delimiter}${env['PATH'] ?? ''}`, VIRTUAL_ENV: dir };
  const prepared: PreparedEnvironment = { manager, env: childEnv, python, dir, ...(uv !== undefined ? { uv } : {}) };
  if (existsSync(path.join(dir, '.cairn-complete'))) return prepared;

  // Built beside its final place and renamed once complete: an interrupted build is never reused.
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  options.log?.(`cairn: building the ${manager} environment ${path.basename(dir)} (${wanted.lines.length} requirement(s))\n`);
  const requirements = path.join(path.dirname(dir), `${path.basename(building)}.txt`);
  writeFileSync(requirements, `${wanted.lines.join('\n')}\n`);
  try {
    if (uv !== undefined) {
      await run(uv, ['venv', '--quiet', '--python', base, building]);
      const pip = (args: string[]) => run(uv, ['pip', 'install', '--quiet', '--python', path.join(binDir(building), 'python'), ...args]);
      if (wanted.build.length > 0) await pip(wanted.build);
      if (wanted.lines.length > 0) await pip(['-r', requirements]);
    } else {
      await run(base, ['-m', 'venv', building]);
      const pip = (args: string[]) => run(path.join(binDir(building), 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...args]);
      if (wanted.build.length > 0) await pip(wanted.build);
      if (wanted.lines.length > 0) await pip(['-r', requirements]);
    }
    writeFileSync(path.join(building, '.cairn-complete'), `${new Date().toISOString()}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(requirements, { force: true });
  }
  return prepared;
}

/**
 * The resolved package versions of the interpreter that ran the project: `pip freeze --all`,
 * sorted, so two runs' environments compare line by line (`uv pip freeze` for a uv environment,
 * which has no pip). Undefined when neither is available.
 */
export async function freezeEnvironment(prepared: Pick<PreparedEnvironment, 'python' | 'uv'>): Promise<string | undefined> {
  const { python, uv } = prepared;
  try {
    const out =
      uv !== undefined
        ? await run(uv, ['pip', 'freeze', '--python', python], { timeout: 120_000 })
        : await run(python, ['-m', 'pip', 'freeze', '--all', '--disable-pip-version-check'], { timeout: 120_000 });
    const version = (await run(python, ['-c', 'import platform; print(platform.python_version())'])).trim();
    const lines = out
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    return `# python ${version}\n${lines.join('\n')}\n`;
  } catch {
    return undefined;
  }
}
