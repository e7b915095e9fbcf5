import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Tag values stay within MLflow 2.x's run-tag limit (MAX_TAG_VAL_LENGTH 5000; 3.x allows 8000), so
 * runs logged by this SDK can be copied to any MLflow server.
 */
export const MAX_TAG_VALUE_LENGTH = 5000;

/** Lockfiles whose digest pins the environment, in the order they are looked for. */
export const LOCKFILES = ['package-lock.json', 'requirements.txt', 'uv.lock', 'poetry.lock'] as const;

export interface GitInfo {
  commit: string;
  branch?: string;
  dirty: boolean;
  repoUrl?: string;
  root: string;
}

export interface ProvenanceOptions {
  /** Where to look for the git repository, dvc files and lockfiles; the working directory by default. */
  cwd?: string;
}

function git(args: string[], cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 5000, windowsHide: true }, (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
}

/** Commit, branch, dirty flag and remote of the repository containing `cwd`; undefined without git or a repository. */
export async function readGit(cwd: string): Promise<GitInfo | undefined> {
  const commit = await git(['rev-parse', 'HEAD'], cwd);
  if (commit === undefined || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const [branch, status, remote, root] = await Promise.all([
    git(['rev-parse', '--abbrev-ref', 'HEAD'], cwd),
    git(['status', '--porcelain', '--untracked-files=no'], cwd),
    git(['remote', 'get-url', 'origin'], cwd),
    git(['rev-parse', '--show-toplevel'], cwd),
  ]);
  return {
    commit,
    // A detached HEAD reports "HEAD": no branch to record.
    ...(branch && branch !== 'HEAD' ? { branch } : {}),
    dirty: status !== undefined && status !== '',
    ...(remote ? { repoUrl: withoutCredentials(remote) } : {}),
    root: root ?? cwd,
  };
}

/** `https://user:token@host/repo` must not end up in a tag anyone can read. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

export interface DvcOut {
  /** The file that declares it (`dvc.lock` or `data/raw.csv.dvc`), relative to the searched root. */
  file: string;
  path: string;
  md5: string;
}

const unquote = (s: string) => s.trim().replace(/^(['"])(.*)\1$/, '$2');

/**
 * The outputs declared in a `dvc.lock` (every stage's `outs`) or a `.dvc` file (`outs`), with their
 * md5. A line-oriented reader of the block YAML DVC writes, so the SDK needs no YAML dependency:
 * a list item starts with `- `, its keys follow at a deeper indent.
 */
export function parseDvcOuts(text: string, file: string): DvcOut[] {
  const outs: DvcOut[] = [];
  let outsIndent: number | undefined;
  let itemIndent: number | undefined;
  let item: { path?: string; md5?: string } | undefined;
  const close = () => {
    if (item?.path !== undefined && item.md5 !== undefined) outs.push({ file, path: item.path, md5: item.md5 });
    item = undefined;
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const indent = raw.length - raw.trimStart().length;
    if (outsIndent !== undefined && !(indent > outsIndent || (indent === outsIndent && line.startsWith('- ')))) {
      close();
      outsIndent = itemIndent = undefined;
    }
    if (outsIndent === undefined) {
      if (/^outs:\s*$/.test(line)) outsIndent = indent;
      continue;
    }
    let body: string;
    if (line.startsWith('- ') && (itemIndent === undefined || indent === itemIndent)) {
      close();
      itemIndent = indent;
      item = {};
      body = line.slice(2).trim();
    } else if (itemIndent !== undefined && indent === itemIndent + 2) {
      body = line;
    } else {
      continue; // deeper structure inside an item (e.g. a directory's `files:` list)
    }
    const kv = /^([\w-]+):\s*(.*)$/.exec(body);
    if (item === undefined || kv === null) continue;
    const value = unquote(kv[2] ?? '');
    if (kv[1] === 'path') item.path = value;
    // DVC writes `md5:`; `etag`/`checksum` identify cloud-versioned outs the same way.
    else if (kv[1] === 'md5' || ((kv[1] === 'etag' || kv[1] === 'checksum') && item.md5 === undefined)) item.md5 = value;
  }
  close();
  return outs;
}

const SKIPPED_DIRS = new Set(['node_modules', '.git', '.dvc', 'dist', '.venv', 'venv', '__pycache__', '.cache']);

/** `dvc.lock` and `*.dvc` files under `root` (bounded walk, skipping dependency and build folders), sorted. */
export function findDvcFiles(root: string, maxDepth = 6): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < maxDepth && !SKIPPED_DIRS.has(entry.name)) walk(full, depth + 1);
      } else if (entry.isFile() && (entry.name === 'dvc.lock' || entry.name.endsWith('.dvc'))) {
        found.push(path.relative(root, full).split(path.sep).join('/'));
      }
    }
  };
  walk(root, 0);
  return found.sort();
}

/**
 * One digest for the data version: sha256 over the sorted `path md5` lines of every DVC output.
 * Deterministic (independent of file order and formatting), and it changes exactly when some
 * tracked data changes, which is what `dvc checkout` would restore.
 */
export function dvcDataHash(outs: readonly DvcOut[]): string | undefined {
  if (outs.length === 0) return undefined;
  const lines = [...new Set(outs.map((o) => `${o.path} ${o.md5}`))].sort();
  return sha256(lines.join('\n'));
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Versions of the direct dependencies recorded in a package-lock.json (lockfile v1, v2 and v3). */
export function packageLockVersions(text: string): Record<string, string> {
  const lock = JSON.parse(text) as {
    packages?: Record<string, { version?: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }>;
    dependencies?: Record<string, { version?: string; dev?: boolean }>;
  };
  const versions: Record<string, string> = {};
  const rootPackage = lock.packages?.[''];
  if (rootPackage !== undefined) {
    for (const name of Object.keys({ ...rootPackage.dependencies, ...rootPackage.devDependencies })) {
      const version = lock.packages?.[`node_modules/${name}`]?.version;
      if (version !== undefined) versions[name] = version;
    }
  } else {
    // v1 has no root entry: top-level `dependencies` also lists transitive packages, keep the non-dev ones.
    for (const [name, dep] of Object.entries(lock.dependencies ?? {})) if (dep.version !== undefined && !dep.dev) versions[name] = dep.version;
  }
  return sortKeys(versions);
}

/** The pinned lines (`name==1.2.3`, extras and markers allowed) of a requirements.txt. */
export function requirementsVersions(text: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    const pinned = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;,]+)\s*(?:;.*)?$/.exec(line);
    if (pinned?.[1] !== undefined && pinned[2] !== undefined) versions[pinned[1].toLowerCase().replace(/[._]+/g, '-')] = pinned[2];
  }
  return sortKeys(versions);
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A `{name: version}` map as a JSON tag value within the limit: whole entries in name order until
 * the next would not fit, so the value always parses; how many were left out is returned.
 */
export function packagesTagValue(versions: Record<string, string>, limit = MAX_TAG_VALUE_LENGTH): { value: string; omitted: number } {
  const entries = Object.entries(versions);
  const kept: Record<string, string> = {};
  let length = 2;
  let count = 0;
  for (const [name, version] of entries) {
    const add = JSON.stringify(name).length + JSON.stringify(version).length + 1 + (count > 0 ? 1 : 0);
    if (length + add > limit) break;
    kept[name] = version;
    length += add;
    count++;
  }
  return { value: JSON.stringify(kept), omitted: entries.length - count };
}

const fit = (value: string) => (value.length > MAX_TAG_VALUE_LENGTH ? value.slice(0, MAX_TAG_VALUE_LENGTH) : value);

function readIfExists(file: string): Buffer | undefined {
  try {
    return existsSync(file) ? readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/** Environment and data facts read from files in `dirs` (first directory holding a file wins). */
export function fileProvenanceTags(dirs: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  const unique = [...new Set(dirs.map((d) => path.resolve(d)))];

  for (const name of LOCKFILES) {
    for (const dir of unique) {
      const content = readIfExists(path.join(dir, name));
      if (content === undefined) continue;
      tags[`cairn.env.lockfile.${name}`] = `sha256:${sha256(content)}`;
      try {
        const versions =
          name === 'package-lock.json'
            ? packageLockVersions(content.toString('utf8'))
            : name === 'requirements.txt'
              ? requirementsVersions(content.toString('utf8'))
              : undefined;
        if (versions !== undefined && Object.keys(versions).length > 0) {
          const key = name === 'package-lock.json' ? 'cairn.env.npm_packages' : 'cairn.env.python_packages';
          const { value, omitted } = packagesTagValue(versions);
          tags[key] = value;
          if (omitted > 0) tags[`${key}.omitted`] = String(omitted);
        }
      } catch {
        // an unparsable lockfile still has its digest
      }
      break;
    }
  }

  for (const dir of unique) {
    const files = findDvcFiles(dir);
    if (files.length === 0) continue;
    const outs = files.flatMap((file) => {
      const text = readIfExists(path.join(dir, file));
      return text === undefined ? [] : parseDvcOuts(text.toString('utf8'), file);
    });
    const hash = dvcDataHash(outs);
    if (hash !== undefined) {
      tags['cairn.dvc.data_hash'] = hash;
      // The seed's convention, and the key the registry's lineage endpoint reads today.
      tags['dvc_data_hash'] = hash;
      tags['cairn.dvc.files'] = fit(files.join(','));
    }
    break;
  }
  return tags;
}

function currentUser(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return process.env['USER'] ?? process.env['USERNAME'] ?? 'unknown';
  }
}

/**
 * The run's provenance as tags: MLflow's system tags where they exist (what the Python client's
 * DefaultRunContext and GitRunContext set), Cairn's under `cairn.`. Never throws: a missing git, an
 * unreadable file or a bare directory just yields fewer tags.
 */
export async function collectProvenance(options: ProvenanceOptions = {}): Promise<Record<string, string>> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const user = currentUser();
  const script = process.argv[1];
  const tags: Record<string, string> = {
    'mlflow.user': fit(user),
    'mlflow.source.name': fit(script ? path.resolve(script) : '<console>'),
    'mlflow.source.type': 'LOCAL',
  };
  const repo = await readGit(cwd).catch(() => undefined);
  if (repo !== undefined) {
    tags['mlflow.source.git.commit'] = repo.commit;
    if (repo.branch !== undefined) tags['mlflow.source.git.branch'] = fit(repo.branch);
    if (repo.repoUrl !== undefined) tags['mlflow.source.git.repoURL'] = fit(repo.repoUrl);
    tags['cairn.git.dirty'] = String(repo.dirty);
  }
  return { ...tags, ...fileProvenanceTags(repo !== undefined ? [cwd, repo.root] : [cwd]) };
}
