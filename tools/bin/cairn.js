#!/usr/bin/env node
// `npx cairn …`: compile on first use (or after a change), then run the CLI app.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
execFileSync(process.execPath, [path.join(root, 'tools', 'build.mjs'), '--if-stale'], { stdio: 'inherit' });
require(path.join(root, 'dist', 'apps', 'cli', 'src', 'main.js'));
