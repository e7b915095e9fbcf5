import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findUp } from '@cairn/platform';
import { terminate, trackChildProcess } from './child-processes';
import { testEndpoints } from './environment';
import { waitFor } from './wait-for';

const repoRoot = path.dirname(findUp('package.json'));

/** The static build of MLflow's web UI inside the pinned mlflow 3.x wheel (`mlflow/server/js/build`). */
export function mlflowUiBuild(): string {
  const python = testEndpoints.mlflowPython(3);
  const mlflowDir = execFileSync(python, ['-c', 'import mlflow, os; print(os.path.dirname(mlflow.__file__))'], { encoding: 'utf8' }).trim();
  const build = path.join(mlflowDir, 'server', 'js', 'build');
  if (!existsSync(path.join(build, 'index.html'))) throw new Error(`the mlflow wheel has no UI build at ${build}`);
  return build;
}

/** Debian's chromium that tools/infra/infra.sh installs (`up chromium`), or CAIRN_TEST_CHROMIUM. Never a downloaded browser. */
export function chromiumBinary(): string {
  const given = process.env['CAIRN_TEST_CHROMIUM'];
  if (given !== undefined && given !== '') return given;
  const infra = path.join(repoRoot, 'tools', 'infra', 'infra.sh');
  execFileSync('bash', [infra, 'up', 'chromium'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exported = /CAIRN_TEST_CHROMIUM=(\S+)/.exec(execFileSync('bash', [infra, 'env', 'chromium'], { encoding: 'utf8' }))?.[1];
  if (exported === undefined) throw new Error('infra.sh installed no chromium');
  return exported.replace(/^'(.*)'$/, '$1');
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export interface MlflowUiProxy {
  url: string;
  stop(): Promise<void>;
}

/**
 * MLflow's UI in front of `backend`, laid out as `mlflow server` lays it out: `/` is the build's
 * index.html, `/static-files/<path>` its files, and every other path (`/ajax-api/…`, `/api/…`,
 * `/graphql`, `/get-artifact`, …) goes to the backend unchanged. The same proxy stands in front of
 * `mlflow server` and of Cairn, so the two are compared through one door.
 */
export async function serveMlflowUi(build: string, backend: string): Promise<MlflowUiProxy> {
  const target = new URL(backend);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ui');
    const staticPath =
      url.pathname === '/'
        ? 'index.html'
        : url.pathname.startsWith('/static-files/')
          ? decodeURIComponent(url.pathname.slice('/static-files/'.length))
          : undefined;
    if (staticPath !== undefined) {
      const file = path.resolve(build, staticPath);
      if (!file.startsWith(build + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(res);
      return;
    }
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ReferenceMlflowServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** `mlflow server` of the pinned 3.x package on a sqlite store and local artifacts in a temporary directory. */
export async function startReferenceMlflowServer(): Promise<ReferenceMlflowServer> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'cairn-mlflow-reference-'));
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    testEndpoints.mlflowPython(3),
    [
      '-m',
      'mlflow',
      'server',
      '--backend-store-uri',
      `sqlite:///${home}/mlflow.db`,
      '--artifacts-destination',
      path.join(home, 'artifacts'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workers',
      '1',
    ],
    // its own process group: `mlflow server` runs uvicorn and a job runner as children, stopped with it
    { cwd: home, env: { PATH: process.env['PATH'] ?? '', HOME: home }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };
  const stop = async () => {
    signalGroup('SIGTERM');
    await terminate(child);
    signalGroup('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  trackChildProcess(child, stop);
  await waitFor(
    async () =>
      (await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )) || undefined,
    {
      timeoutMs: 150_000,
      intervalMs: 500,
      message: 'mlflow server /health',
    },
  );
  return { url, output: () => output, stop };
}
