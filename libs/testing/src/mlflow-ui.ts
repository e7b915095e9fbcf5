import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { findUp } from '@cairn/platform';
import { testEndpoints } from './environment';

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
