import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findUp } from '../database/migrator';

/** Where the build (tools/build.mjs → Vite) writes the web UI: dist/apps/web beside package.json. */
export function webUiDirectory(): string {
  return path.join(path.dirname(findUp('package.json')), 'dist', 'apps', 'web');
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.map', '.json', '.svg', '.txt']);
/** Vite names every file under assets/ by its content hash: a changed file is a new URL. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface StaticFile {
  body: Buffer;
  gzipped?: Buffer;
  contentType: string;
}

/**
 * Serves the web UI from memory: `/` (index.html, always revalidated) and `/assets/<file>` (hashed,
 * cached for a year). The files are read once at start-up into a table keyed by their names, so a
 * request path is only ever a key in that table: nothing a client sends reaches the file system,
 * and `..` or an encoded slash finds no entry. A server started before the UI was built says so at `/`.
 */
export function serveWebUi(fastify: FastifyInstance, directory: string): void {
  const files = readWebUi(directory);
  const index = files.get('index.html');
  const send = (request: FastifyRequest, reply: FastifyReply, file: StaticFile, cacheControl: string) => {
    const gzip = file.gzipped !== undefined && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    void reply
      .header('content-type', file.contentType)
      .header('cache-control', cacheControl)
      .header('x-content-type-options', 'nosniff')
      .header('vary', 'accept-encoding');
    if (gzip) void reply.header('content-encoding', 'gzip');
    return reply.status(200).send(gzip ? file.gzipped : file.body);
  };
  const home = (request: FastifyRequest, reply: FastifyReply) =>
    index === undefined
      ? reply.status(404).header('content-type', 'text/plain; charset=utf-8').send('The web UI is not built: run `node tools/build.mjs`.\n')
      : send(request, reply, index, 'no-cache');
  fastify.get('/', home);
  fastify.get('/index.html', home);
  fastify.get('/assets/*', (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const file = files.get(`assets/${name}`);
    if (file === undefined) return reply.status(404).header('content-type', 'text/plain; charset=utf-8').send('Not found\n');
    return send(request, reply, file, IMMUTABLE);
  });
}

function readWebUi(directory: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(path.join(directory, 'index.html'))) return files;
  const add = (relative: string) => {
    const extension = path.extname(relative).toLowerCase();
    const body = readFileSync(path.join(directory, relative));
    const compress = COMPRESSIBLE.has(extension) && body.length > 1024;
    files.set(relative.split(path.sep).join('/'), {
      body,
      contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
      ...(compress ? { gzipped: gzipSync(body) } : {}),
    });
  };
  add('index.html');
  const assets = path.join(directory, 'assets');
  if (existsSync(assets)) {
    for (const name of readdirSync(assets)) if (statSync(path.join(assets, name)).isFile()) add(path.join('assets', name));
  }
  return files;
}
