import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256 } from '@cairn/sdk';
import { ProjectError } from './mlproject';

/** Where `cairn run` keeps cloned projects and built environments: CAIRN_CACHE_DIR, else XDG's cache. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['CAIRN_CACHE_DIR'] ?? path.join(env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'cairn');
}

export interface ProjectUri {
  kind: 'local' | 'git';
  /** A local directory, or the git repository's URI (without `#ref:subdir`). */
  location: string;
  ref?: string;
  subdir?: string;
}

const GIT_URI = /^(https?:\/\/|ssh:\/\/|git:\/\/|file:\/\/|git@[^:]+:|git\+)/;

/**
 * `<dir>` or `<git-uri>[#<ref>][:<subdir>]`: the fragment names the ref (tag, branch or commit) and,
 * after a colon, the project's directory inside the repository (`#:examples/churn` for the default
 * branch). A local directory is a git source too when a `#` fragment is given.
 */
export function parseProjectUri(uri: string): ProjectUri {
  const hash = uri.indexOf('#');
  const base = hash === -1 ? uri : uri.slice(0, hash);
  const fragment = hash === -1 ? undefined : uri.slice(hash + 1);
  const colon = fragment?.indexOf(':') ?? -1;
  const ref = fragment === undefined ? undefined : colon === -1 ? fragment : fragment.slice(0, colon);
  const subdir = fragment === undefined || colon === -1 ? undefined : fragment.slice(colon + 1).replace(/^\/+|\/+$/g, '');
  if (subdir !== undefined && subdir !== '' && subdir.split('/').some((s) => s === '..' || s === '.'))
    throw new ProjectError(`the project subdirectory must stay inside the repository, got '${subdir}'`);
  const isGit = GIT_URI.test(base) || fragment !== undefined;
  if (!isGit) return { kind: 'local', location: path.resolve(base) };
  return {
    kind: 'git',
    location: GIT_URI.test(base) ? base.replace(/^git\+/, '') : path.resolve(base),
    ...(ref ? { ref } : {}),
    ...(subdir ? { subdir } : {}),
  };
}

export function git(args: string[], cwd: string, timeout = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, timeout, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }, (error, stdout, stderr) =>
      error ? reject(new ProjectError(`git ${args.join(' ')} failed: ${stderr.trim() || error.message}`)) : resolve(stdout.trim()),
    );
  });
}

export interface FetchedProject {
  /** The project directory (the checkout plus the subdirectory). */
  dir: string;
  /** The git commit checked out, when the source is a git repository. */
  commit?: string;
}

/**
 * A clean checkout of `location` at `ref` (the remote's default branch without one) in the cache,
 * one directory per repository and ref, reset and cleaned on every use so that nothing from an
 * earlier run leaks into this one.
 */
export async function checkoutGit(location: string, ref: string | undefined, cache: string): Promise<{ root: string; commit: string }> {
  const root = path.join(cache, 'projects', sha256(`${location}#${ref ?? ''}`).slice(0, 24));
  if (!existsSync(path.join(root, '.git'))) {
    mkdirSync(root, { recursive: true });
    await git(['init', '--quiet'], root);
    await git(['remote', 'add', 'origin', location], root);
  } else {
    await git(['remote', 'set-url', 'origin', location], root);
  }
  try {
    await git(['fetch', '--quiet', '--depth', '1', '--tags', 'origin', ref ?? 'HEAD'], root);
  } catch (error) {
    throw new ProjectError(`cannot fetch ${ref !== undefined ? `'${ref}' of ` : ''}${location}: ${(error as Error).message}`);
  }
  await git(['checkout', '--quiet', '--force', '--detach', 'FETCH_HEAD'], root);
  await git(['clean', '-fdxq'], root);
  await git(['submodule', 'update', '--init', '--recursive', '--quiet'], root);
  return { root, commit: await git(['rev-parse', 'HEAD'], root) };
}

export async function fetchProject(uri: ProjectUri, cache: string): Promise<FetchedProject> {
  if (uri.kind === 'local') {
    if (!existsSync(uri.location) || !statSync(uri.location).isDirectory()) throw new ProjectError(`no such project directory: ${uri.location}`);
    return { dir: realpathSync(uri.location) };
  }
  const { root, commit } = await checkoutGit(uri.location, uri.ref, cache);
  const dir = path.join(root, uri.subdir ?? '');
  if (!existsSync(dir)) throw new ProjectError(`no directory '${uri.subdir ?? ''}' in ${uri.location} at ${uri.ref ?? 'HEAD'}`);
  return { dir, commit };
}
