import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { findUp } from '@cairn/platform';
import { isRunning, terminate, trackChildProcess } from './child-processes';
import { createTestDatabase, type TestDatabase } from './test-database';

export type CairnApp = 'server' | 'tracking-service' | 'artifact-service' | 'registry-service' | 'webhook-dispatcher';

export interface StartedServer {
  url: string;
  /** The database the server uses (fresh unless one was passed in). */
  databaseUrl: string;
  home: string;
  process: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything the process printed, for assertions and for failure messages. */
  output(): string;
  /** SIGTERM (SIGKILL after 15 s) and wait for exit; drops the database and home if this call created them. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; keeps the database. */
  kill(): Promise<void>;
}

export interface StartServerOptions {
  app?: CairnApp;
  env?: Record<string, string>;
  /** Share a database between processes (distributed-mode tests); fresh by default. */
  database?: TestDatabase | { url: string };
  /** Embedded mode: no CAIRN_DATABASE_URL, so the server starts its own Postgres under `home`. */
  embedded?: boolean;
  /** Reuse a CAIRN_HOME (restart tests); a fresh temporary one by default, removed on stop. */
  home?: string;
  timeoutMs?: number;
  /** Run the build in another checkout (an older release, built with its own tools/build.mjs) instead of this tree's. */
  checkout?: string;
}

let built = false;
const repoRoot = path.dirname(findUp('package.json'));

/** Compiles apps/ and libs/ to dist/ once per test process (skipped when nothing changed). */
export function ensureBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, [path.join(repoRoot, 'tools', 'build.mjs'), '--if-stale'], { cwd: repoRoot, stdio: 'inherit' });
  built = true;
}

/**
 * Starts a real Cairn app as its own OS process on a free port, against the test Postgres (a fresh
 * database unless one is given), and resolves once it prints the URL it listens on. The process is
 * tracked from the moment it is spawned: if this start fails, it is killed and what this call
 * created is removed; if the test fails before stopping it, the int/e2e tiers' afterAll stops it
 * (`stopChildProcesses`); if the test process dies, it stops itself (`stop-when-orphaned`).
 */
export async function startServer(options: StartServerOptions = {}): Promise<StartedServer> {
  if (options.checkout === undefined) ensureBuilt();
  const appRoot = options.checkout ?? repoRoot;
  const app = options.app ?? 'server';
  const ownDatabase = options.database === undefined && !options.embedded ? await createTestDatabase({ migrated: false }) : undefined;
  const databaseUrl = options.embedded ? '' : (options.database ?? ownDatabase)?.url;
  const ownHome = options.home === undefined;
  const home = options.home ?? mkdtempSync(path.join(os.tmpdir(), 'cairn-test-home-'));
  const orphanWatch = path.join(repoRoot, 'libs', 'testing', 'src', 'stop-when-orphaned.cjs');
  const child = spawn(process.execPath, ['--enable-source-maps', '--require', orphanWatch, path.join(appRoot, 'dist', 'apps', app, 'src', 'main.js')], {
    cwd: appRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: home,
      CAIRN_HOME: home,
      CAIRN_PORT: '0',
      CAIRN_HOST: '127.0.0.1',
      ...(databaseUrl ? { CAIRN_DATABASE_URL: databaseUrl } : {}),
      CAIRN_ARTIFACT_ROOT: `file://${path.join(home, 'artifacts')}`,
      CAIRN_LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { stdout, stderr } = child;
  let output = '';
  stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await terminate(child);
      if (ownHome) rmSync(home, { recursive: true, force: true });
      if (ownDatabase) await ownDatabase.drop();
    })());
  trackChildProcess(child, stop);

  const timeoutMs = options.timeoutMs ?? 60_000;
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${app} did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = () => {
      const listening = /listening at (http:\/\/\S+)/.exec(output)?.[1];
      if (listening !== undefined) {
        clearTimeout(timer);
        stdout.off('data', onData);
        resolve(listening);
      }
    };
    stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${app} exited with ${signal ?? `code ${code}`} before listening:\n${output}`));
    });
  });
  let url: string;
  try {
    url = await listening;
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    databaseUrl: databaseUrl ?? '',
    home,
    process: child,
    output: () => output,
    stop,
    async kill() {
      if (isRunning(child)) child.kill('SIGKILL');
      await exited;
    },
  };
}
