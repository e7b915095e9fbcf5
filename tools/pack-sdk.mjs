#!/usr/bin/env node
// Packs the TypeScript SDK as an npm package that a project outside this repository can install:
//   npm run pack:sdk        ->  dist/packages/cairn-sdk-<version>.tgz
//   (elsewhere) npm install /path/to/cairn/dist/packages/cairn-sdk-<version>.tgz
// Inside the repository `@cairn/sdk` is a tsconfig path alias, which means nothing to another
// project. The package holds the SDK compiled to CommonJS with its .d.ts, and the part of
// libs/contracts it imports, compiled beside it (contracts is not published on its own): every
// `@cairn/contracts` specifier is rewritten to that copy. Its npm dependencies are whatever the
// compiled files import, at the versions this repository pins (today only zod, for the types).
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const { root } = require('./swc-options.cjs');

const libs = path.join(root, 'libs');
const entry = path.join(libs, 'sdk', 'src', 'index.ts');
const packagesDir = path.join(root, 'dist', 'packages');
const staging = path.join(packagesDir, 'sdk');
const bundled = { '@cairn/contracts': path.join(staging, 'contracts', 'src', 'index') };

function compile() {
  const base = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.base.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const options = {
    ...base.options,
    noEmit: false,
    declaration: true,
    sourceMap: false,
    rootDir: libs,
    outDir: staging,
    types: ['node'],
  };
  const program = ts.createProgram([entry], options);
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    throw new Error(ts.formatDiagnostics(diagnostics, host));
  }
  const outside = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !/^(sdk|contracts)\//.test(path.relative(libs, f.fileName)));
  if (outside.length > 0) throw new Error(`the SDK may import only libs/contracts, but it reaches ${outside.map((f) => f.fileName).join(', ')}`);
}

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (/\.(js|d\.ts)$/.test(entry.name)) yield full;
  }
}

/** Rewrites bundled aliases to relative paths; returns the bare packages the file imports. */
function relink(file) {
  const imported = new Set();
  const specifier = /(\brequire\(|\bimport\(|\bfrom |\bimport )(['"])([^'"]+)\2/g;
  const text = readFileSync(file, 'utf8').replace(specifier, (match, lead, quote, spec) => {
    const target = bundled[spec];
    if (target !== undefined) {
      const relative = path.relative(path.dirname(file), target).split(path.sep).join('/');
      return `${lead}${quote}${relative.startsWith('.') ? relative : `./${relative}`}${quote}`;
    }
    if (spec.startsWith('@cairn/')) throw new Error(`${file} imports ${spec}, which the package does not hold`);
    if (!spec.startsWith('.') && !spec.startsWith('node:') && !builtinModules.includes(spec))
      imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    return match;
  });
  // tsc's declaration emit prints the key of `z.enum(['-Infinity'])` as `[-Infinity]:`, which no
  // compiler accepts back (TS1170) unless the consumer skips library checks: quote it.
  writeFileSync(file, file.endsWith('.d.ts') ? text.replace(/\[(-[A-Za-z_$][\w$]*)\]:/g, '"$1":') : text);
  return imported;
}

function main() {
  rmSync(staging, { recursive: true, force: true });
  compile();
  const imported = new Set();
  for (const file of files(staging)) for (const name of relink(file)) imported.add(name);

  const rootPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const pinned = { ...rootPackage.devDependencies, ...rootPackage.dependencies };
  const dependencies = Object.fromEntries(
    [...imported].sort().map((name) => {
      if (pinned[name] === undefined) throw new Error(`the SDK imports ${name}, which package.json does not list`);
      return [name, pinned[name]];
    }),
  );
  const manifest = {
    name: '@cairn/sdk',
    version: rootPackage.version,
    description: 'TypeScript client for Cairn and any MLflow tracking server',
    license: rootPackage.license,
    engines: rootPackage.engines,
    main: './sdk/src/index.js',
    types: './sdk/src/index.d.ts',
    exports: { '.': { types: './sdk/src/index.d.ts', default: './sdk/src/index.js' }, './package.json': './package.json' },
    dependencies,
  };
  writeFileSync(path.join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  copyFileSync(path.join(libs, 'sdk', 'README.md'), path.join(staging, 'README.md'));
  mkdirSync(packagesDir, { recursive: true });
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packagesDir], {
      cwd: staging,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  console.log(path.join(packagesDir, packed.filename));
}

main();
