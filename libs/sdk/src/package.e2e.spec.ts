import { execFile } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type StartedServer } from '@cairn/testing';
import { CairnClient } from './index';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    );
  });
}

// What README.md shows: a training script in its own project, outside this repository, importing
// '@cairn/sdk' from the packed tarball (`npm run pack:sdk`), compiled by TypeScript with library
// checks on, run by Node against a started server.
const TRAINING_SCRIPT = `import * as cairn from '@cairn/sdk';

const uri = process.argv[2] as string;
cairn.setTrackingUri(uri);
await cairn.setExperiment('outside-the-repository');
const runId = await cairn.startRun({ runName: 'from-the-tarball', provenance: false }, async (run) => {
  await cairn.logParams({ learning_rate: 0.05 });
  cairn.logMetric('val_auc', 0.91);
  return run.runId;
});
const run = await new cairn.CairnClient(uri).getRun(runId);
console.log(JSON.stringify({ runId, status: run.info.status }));
`;

describe('the SDK installed from its packed tarball in a project outside the repository', () => {
  let server: StartedServer;
  let project: string;

  beforeAll(async () => {
    server = await startServer();
    project = mkdtempSync(path.join(os.tmpdir(), 'cairn-sdk-consumer-'));
  }, 120_000);

  afterAll(async () => {
    if (project) rmSync(project, { recursive: true, force: true });
    await server?.stop();
  });

  it('installs offline, type-checks, and logs a run that the server has', async () => {
    const tarball = (await run(process.execPath, [path.join(repoRoot, 'tools', 'pack-sdk.mjs')], repoRoot)).trim().split('\n').pop() as string;
    expect(path.basename(tarball)).toMatch(/^cairn-sdk-.*\.tgz$/);

    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'training', private: true, type: 'module' }));
    // The package's one dependency (zod, for the contracts' types) would come from the registry; this
    // test has none, so it installs the copy this repository has, packed, into an empty cache.
    const zod = JSON.parse(await run('npm', ['pack', '--json', '--ignore-scripts', path.join(repoRoot, 'node_modules', 'zod')], project)) as {
      filename: string;
    }[];
    await run(
      'npm',
      ['install', '--offline', '--cache', path.join(project, '.npm'), '--no-audit', '--no-fund', tarball, `./${zod[0]?.filename ?? ''}`],
      project,
    );
    expect(lstatSync(path.join(project, 'node_modules', '@cairn', 'sdk')).isSymbolicLink()).toBe(false);

    writeFileSync(path.join(project, 'train.ts'), TRAINING_SCRIPT);
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'es2022',
          strict: true,
          skipLibCheck: false,
          outDir: 'out',
          // A consumer brings its own @types/node; this one borrows the repository's.
          typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['train.ts'],
      }),
    );
    await run(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], project);

    const printed = JSON.parse((await run(process.execPath, [path.join(project, 'out', 'train.js'), server.url], project)).trim()) as {
      runId: string;
      status: string;
    };
    expect(printed.status).toBe('FINISHED');
    const logged = await new CairnClient(server.url).getRun(printed.runId);
    expect(logged.data.params).toEqual([{ key: 'learning_rate', value: '0.05' }]);
    expect(logged.data.metrics?.map((m) => [m.key, m.value])).toEqual([['val_auc', 0.91]]);

    // CommonJS callers get the same exports.
    expect(await run(process.execPath, ['-e', "const s = require('@cairn/sdk'); console.log(typeof s.CairnClient, typeof s.startRun)"], project)).toBe(
      'function function\n',
    );
  }, 400_000);
});
