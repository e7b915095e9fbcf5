import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseYamlSubset, YamlFloat, type YamlValue } from './yaml-subset';

/** A project the user asked for cannot run as given: refused before anything is created or started. */
export class ProjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectError';
  }
}

export type ParameterType = 'string' | 'float' | 'int' | 'path' | 'uri';
const PARAMETER_TYPES: readonly ParameterType[] = ['string', 'float', 'int', 'path', 'uri'];

export interface Parameter {
  name: string;
  type: ParameterType;
  /** As MLflow logs it: `str()` of the YAML value (`0.1`, `100`, `True`). */
  default?: string;
}

export interface EntryPoint {
  name: string;
  parameters: Parameter[];
  command: string;
}

/** What `python_env`, `conda_env` or `docker_env` asks for (MLflow allows at most one). */
export type ProjectEnvironment =
  | { type: 'python_env'; file: string }
  | { type: 'conda_env'; file: string }
  | { type: 'docker_env'; image: string }
  | { type: 'requirements'; file: string }
  | { type: 'none' };

export interface Project {
  name?: string;
  dir: string;
  entryPoints: Record<string, EntryPoint>;
  environment: ProjectEnvironment;
}

/** Python's `str()` of a YAML scalar, which is what MLflow substitutes and logs. */
function pythonStr(value: YamlValue): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null) return 'None';
  if (typeof value === 'number' || typeof value === 'string' || value instanceof YamlFloat) return String(value);
  throw new ProjectError(`a parameter default must be a scalar, got ${JSON.stringify(value)}`);
}

const isMap = (v: YamlValue | undefined): v is Record<string, YamlValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof YamlFloat);

function parameterOf(name: string, spec: YamlValue): Parameter {
  // MLflow accepts `name: type` as well as `name: {type: …, default: …}`.
  const typeValue = isMap(spec) ? (spec['type'] ?? 'string') : spec;
  const type = String(typeValue) as ParameterType;
  if (!PARAMETER_TYPES.includes(type))
    throw new ProjectError(`parameter '${name}' has unknown type '${String(typeValue)}' (one of ${PARAMETER_TYPES.join(', ')})`);
  const def = isMap(spec) ? spec['default'] : undefined;
  return { name, type, ...(def !== undefined && def !== null ? { default: pythonStr(def) } : {}) };
}

/** The MLproject file of `dir` (MLflow matches the name case-insensitively), or undefined. */
export function findMlproject(dir: string): string | undefined {
  const name = readdirSync(dir).find((f) => f.toLowerCase() === 'mlproject');
  return name === undefined ? undefined : path.join(dir, name);
}

/** Reads a project as MLflow's `load_project` does (mlflow/projects/_project_spec.py). */
export function loadProject(dir: string): Project {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ProjectError(`no such project directory: ${dir}`);
  const file = findMlproject(dir);
  let spec: Record<string, YamlValue> = {};
  if (file !== undefined) {
    let parsed: YamlValue;
    try {
      parsed = parseYamlSubset(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ProjectError(`${path.basename(file)}: ${(error as Error).message}`);
    }
    if (parsed !== null && !isMap(parsed)) throw new ProjectError(`${path.basename(file)}: expected a mapping at the top`);
    spec = parsed ?? {};
  }
  const envFields = ['python_env', 'conda_env', 'docker_env'].filter((k) => k in spec);
  if (envFields.length > 1) throw new ProjectError(`MLproject cannot name more than one environment, got ${envFields.join(', ')}`);

  const entryPoints: Record<string, EntryPoint> = {};
  const entries = spec['entry_points'] ?? {};
  if (!isMap(entries)) throw new ProjectError('MLproject: entry_points must be a mapping');
  for (const [name, entry] of Object.entries(entries)) {
    if (!isMap(entry) || typeof entry['command'] !== 'string') throw new ProjectError(`MLproject: entry point '${name}' needs a command`);
    const params = entry['parameters'] ?? {};
    if (!isMap(params)) throw new ProjectError(`MLproject: parameters of entry point '${name}' must be a mapping`);
    entryPoints[name] = { name, command: entry['command'], parameters: Object.entries(params).map(([p, s]) => parameterOf(p, s)) };
  }

  const inDir = (f: string) => {
    const full = path.resolve(dir, f);
    if (path.relative(dir, full).startsWith('..')) throw new ProjectError(`environment file ${f} is outside the project`);
    if (!existsSync(full)) throw new ProjectError(`MLproject names environment file ${f}, but there is no such file`);
    return full;
  };
  let environment: ProjectEnvironment;
  const docker = spec['docker_env'];
  if (docker !== undefined) {
    if (!isMap(docker) || typeof docker['image'] !== 'string') throw new ProjectError('MLproject: docker_env needs an image');
    environment = { type: 'docker_env', image: docker['image'] };
  } else if (typeof spec['python_env'] === 'string') environment = { type: 'python_env', file: inDir(spec['python_env']) };
  else if (typeof spec['conda_env'] === 'string') environment = { type: 'conda_env', file: inDir(spec['conda_env']) };
  else if (existsSync(path.join(dir, 'python_env.yaml'))) environment = { type: 'python_env', file: path.join(dir, 'python_env.yaml') };
  else if (existsSync(path.join(dir, 'conda.yaml'))) environment = { type: 'conda_env', file: path.join(dir, 'conda.yaml') };
  else if (existsSync(path.join(dir, 'requirements.txt'))) environment = { type: 'requirements', file: path.join(dir, 'requirements.txt') };
  else environment = { type: 'none' };

  return { ...(typeof spec['name'] === 'string' ? { name: spec['name'] } : {}), dir, entryPoints, environment };
}

/** The entry point by name, or a `.py`/`.sh` script run as MLflow does when no entry point has that name. */
export function entryPointOf(project: Project, name: string, env: NodeJS.ProcessEnv = process.env): EntryPoint {
  const declared = project.entryPoints[name];
  if (declared !== undefined) return declared;
  const ext = path.extname(name);
  if (ext === '.py' || ext === '.sh')
    return { name, parameters: [], command: `${ext === '.py' ? 'python' : (env['SHELL'] ?? 'bash')} ${shellQuote(name)}`.replace(/[{}]/g, (c) => c + c) };
  const known = Object.keys(project.entryPoints);
  throw new ProjectError(
    `no entry point '${name}' in the project (${known.length > 0 ? `it has ${known.join(', ')}` : 'it declares none'}), and it is not a .py or .sh script`,
  );
}

/** Python's `shlex.quote`, which MLflow applies to every value it puts in a command. */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (!/[^\w@%+=:,./-]/.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Reads back a value `shellQuote` produced (the params MLflow logs are quoted): the inverse for its output. */
export function shellUnquote(value: string): string {
  if (!value.startsWith("'") || !value.endsWith("'") || value.length < 2) return value;
  return value.slice(1, -1).split(`'"'"'`).join("'");
}

const FLOAT = /^\s*[-+]?((\d[\d_]*)?\.?\d[\d_]*([eE][-+]?\d+)?|\d+\.|inf(inity)?|nan)\s*$/i;
const INT = /^\s*[-+]?\d[\d_]*\s*$/;

export interface ResolvedEntryPoint {
  /** The parameters as logged on the run (MLflow logs the shell-quoted values). */
  params: Record<string, string>;
  /** The shell command, with every value quoted. */
  command: string;
}

/**
 * Substitutes parameters into the entry point's command as MLflow's `EntryPoint.compute_command`
 * does (`str.format` with `shlex.quote`d values; parameters it does not declare are appended as
 * `--key value`), after checking every value: missing ones, and values that are not of the declared
 * type. MLflow itself passes `float`/`int` values through unchecked; refusing them here means a typo
 * in `-P` never starts a run that fails (or worse, trains) with a string.
 */
export function resolveEntryPoint(entry: EntryPoint, given: Record<string, string>, cwd: string): ResolvedEntryPoint {
  const missing = entry.parameters.filter((p) => given[p.name] === undefined && p.default === undefined).map((p) => `'${p.name}'`);
  if (missing.length > 0)
    throw new ProjectError(`no value given for parameter${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of entry point '${entry.name}'`);
  const values: Record<string, string> = {};
  const logged: Record<string, string> = {};
  for (const p of entry.parameters) {
    const value = given[p.name] ?? (p.default as string);
    logged[p.name] = shellQuote(value);
    values[p.name] = shellQuote(checked(p, value, cwd));
  }
  const extras = Object.entries(given).filter(([k]) => !entry.parameters.some((p) => p.name === k));
  for (const [k, v] of extras) logged[k] = shellQuote(v);
  const command = [formatCommand(entry.command, values, entry.name), ...extras.map(([k, v]) => `--${shellQuote(k)} ${shellQuote(v)}`)].join(' ');
  return { params: logged, command };
}

function checked(p: Parameter, value: string, cwd: string): string {
  switch (p.type) {
    case 'string':
      return value;
    case 'float':
      if (!FLOAT.test(value)) throw new ProjectError(`parameter '${p.name}' must be a float, got '${value}'`);
      return value;
    case 'int':
      if (!INT.test(value)) throw new ProjectError(`parameter '${p.name}' must be an int, got '${value}'`);
      return value;
    case 'uri':
      // MLflow's data_utils.is_uri: anything urlparse gives a scheme.
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) throw new ProjectError(`parameter '${p.name}' must be a URI (scheme://…), got '${value}'`);
      return value;
    case 'path': {
      // A local path (or file:// URI) must exist and is passed as an absolute path; any other URI
      // (s3://, dvc://, gs://) is handed to the child as given, for it to read with its own client.
      const local = value.startsWith('file://') ? decodeURIComponent(new URL(value).pathname) : /^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(value) ? undefined : value;
      if (local === undefined) return value;
      const full = path.resolve(cwd, local);
      if (!existsSync(full)) throw new ProjectError(`parameter '${p.name}': no such file or directory '${value}'`);
      return full;
    }
    default: {
      const never: never = p.type;
      return never;
    }
  }
}

/** Python's `str.format(**values)` for `{name}` fields and `{{`/`}}` escapes. */
export function formatCommand(template: string, values: Record<string, string>, entryName: string): string {
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, field: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const name = field ?? '';
    const value = values[name];
    if (value === undefined) throw new ProjectError(`the command of entry point '${entryName}' uses {${name}}, which is not one of its parameters`);
    return value;
  });
}
