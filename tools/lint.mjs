#!/usr/bin/env node
// `npm run lint` and the lint step of `npm test`: ESLint (typed rules, module boundaries, layers,
// test support) and then `prettier --check`, both over the whole tree, with zero warnings allowed.
// Typed linting of the tree takes minutes on a cold machine, so this lints one project at a time in
// one process (the TypeScript program is built once and reused) and says what it is doing.
// `node tools/lint.mjs <paths…>` lints and checks only those paths.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const log = (line) => process.stderr.write(`${line}\n`);

/** Projects first (apps/*, libs/*), then everything else at the top level, so each chunk is a unit a reader knows. */
function chunksOfTree() {
  const projects = ['apps', 'libs'].flatMap((dir) =>
    readdirSync(path.join(root, dir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${dir}/${entry.name}`),
  );
  const rest = readdirSync(root, { withFileTypes: true })
    .filter((entry) => !['apps', 'libs', 'node_modules', 'dist'].includes(entry.name) && !entry.name.startsWith('.'))
    .filter((entry) => entry.isDirectory() || /\.(ts|[cm]?js)$/.test(entry.name))
    .map((entry) => entry.name);
  return [...projects, ...rest];
}

const requested = process.argv.slice(2);
const chunks = requested.length > 0 ? requested : chunksOfTree();
const started = performance.now();

// The module-boundaries rule reads the project graph Nx computes (and caches) here.
let since = performance.now();
execFileSync(bin('nx'), ['show', 'projects'], { cwd: root, stdio: 'ignore' });
log(`lint: project graph (nx) ${seconds(since)}`);

const eslint = new ESLint({ cwd: root, errorOnUnmatchedPattern: false, warnIgnored: false });
const results = [];
for (const [index, chunk] of chunks.entries()) {
  since = performance.now();
  process.stderr.write(`lint: eslint ${chunk} (${index + 1}/${chunks.length}) … `);
  // A project can take a while (the first one builds the TypeScript program): say we are alive.
  let beats = 0;
  const heartbeat = setInterval(() => process.stderr.write(`${beats++ === 0 ? '' : ' '}${Math.round((performance.now() - since) / 1000)} s`), 10_000);
  try {
    const chunkResults = await eslint.lintFiles([chunk]);
    results.push(...chunkResults);
    const problems = chunkResults.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
    log(`${beats > 0 ? ' … ' : ''}${chunkResults.length} files, ${seconds(since)}${problems > 0 ? `, ${problems} problem(s)` : ''}`);
  } finally {
    clearInterval(heartbeat);
  }
}
const problems = results.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
if (problems > 0) process.stdout.write(await (await eslint.loadFormatter('stylish')).format(results));
log(`lint: eslint ${results.length} files in ${seconds(started)}, ${problems} problem(s)`);

since = performance.now();
log(`lint: prettier --check ${requested.length > 0 ? requested.join(' ') : '.'}`);
const prettier = spawnSync(bin('prettier'), ['--check', '--log-level', 'warn', ...(requested.length > 0 ? requested : ['.'])], { cwd: root, stdio: 'inherit' });
log(`lint: prettier ${prettier.status === 0 ? 'clean' : 'found unformatted files (fix: npx prettier --write <files>)'}, ${seconds(since)}`);

process.exitCode = problems > 0 || prettier.status !== 0 ? 1 : 0;
