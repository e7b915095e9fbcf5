#!/usr/bin/env node
// Compiles apps/ and libs/ to dist/ with SWC (path aliases rewritten to relative imports), generates
// the Prisma client first, and bundles the web UI (apps/web, Vite) into dist/apps/web. `--if-stale`
// skips each part when its output is newer than every source, so `npm start` stays fast after the first run.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { transformFile } = require('@swc/core');
const { root, swcOptions } = require('./swc-options.cjs');

const ifStale = process.argv.includes('--if-stale');
const sourceDirs = ['apps', 'libs'];
const stampFile = path.join(root, 'dist', '.build-stamp');
const prismaSchema = path.join(root, 'prisma', 'schema.prisma');
const prismaOut = path.join(root, 'libs', 'platform', 'src', 'infra', 'prisma', 'generated');
const webApp = path.join(root, 'apps', 'web');
const webIndex = path.join(root, 'dist', 'apps', 'web', 'index.html');

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Test support (libs/testing, each lib's testing/) is for specs, which jest runs from source: it never ships.
    if (entry.name === 'node_modules' || entry.name === 'web' || entry.name === 'testing') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.spec.ts')) yield full;
  }
}

function* webSources(dir = path.join(webApp, 'src')) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* webSources(full);
    else if (!entry.name.endsWith('.spec.ts')) yield full;
  }
}

function newestMtime(files) {
  return files.reduce((max, f) => Math.max(max, statSync(f).mtimeMs), 0);
}

export function generatePrismaClient() {
  if (existsSync(path.join(prismaOut, 'client.ts')) && statSync(path.join(prismaOut, 'client.ts')).mtimeMs >= statSync(prismaSchema).mtimeMs) return;
  // `prisma generate` never runs the schema engine, but the CLI insists on locating one; any file
  // satisfies it, and the CDN it would download from is not reachable everywhere.
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', `--schema=${prismaSchema}`], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
  });
}

async function main() {
  generatePrismaClient();
  if (process.argv.includes('--prisma-only')) return;
  await compileServer();
  await bundleWebUi();
}

async function compileServer() {
  const files = sourceDirs.flatMap((d) => (existsSync(path.join(root, d)) ? [...walk(path.join(root, d))] : []));
  if (ifStale && existsSync(stampFile) && statSync(stampFile).mtimeMs >= newestMtime([...files, path.join(root, 'tsconfig.base.json')])) return;
  const options = swcOptions({ withPaths: true });
  await Promise.all(
    files.map(async (file) => {
      const out = path.join(root, 'dist', path.relative(root, file)).replace(/\.ts$/, '.js');
      const result = await transformFile(file, { ...options, filename: file, sourceFileName: path.relative(path.dirname(out), file) });
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, result.code + `\n//# sourceMappingURL=${path.basename(out)}.map\n`);
      if (result.map) writeFileSync(out + '.map', result.map);
    }),
  );
  mkdirSync(path.dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, new Date().toISOString());
  if (!ifStale || process.argv.includes('--verbose')) console.error(`built ${files.length} files into dist/`);
}

/** The web UI: Vite bundles apps/web into dist/apps/web (hashed assets; the server serves them at `/`). */
async function bundleWebUi() {
  if (!existsSync(path.join(webApp, 'index.html'))) return;
  const sources = [...webSources(), path.join(webApp, 'index.html'), path.join(webApp, 'vite.config.mjs')];
  if (ifStale && existsSync(webIndex) && statSync(webIndex).mtimeMs >= newestMtime(sources)) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(webApp, 'vite.config.mjs'), logLevel: 'warn' });
  if (!ifStale || process.argv.includes('--verbose')) console.error('bundled the web UI into dist/apps/web');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
