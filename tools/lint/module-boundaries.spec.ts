import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

// "No context imports another": the lint rule must fail the build when one does. This lints probe
// sources placed (virtually) inside the contexts with the project's real ESLint configuration.
const root = path.resolve(__dirname, '..', '..');

// Type-aware rules need a real file in a tsconfig; the boundary rule does not.
const TYPED_RULES_OFF = ['@typescript-eslint/no-floating-promises', '@typescript-eslint/switch-exhaustiveness-check'].flatMap((rule) => [
  '--rule',
  `${rule}: off`,
]);

describe('module boundaries', () => {
  beforeAll(() => {
    // The Nx rule reads the project graph that `nx show projects` caches.
    execFileSync(path.join(root, 'node_modules', '.bin', 'nx'), ['show', 'projects'], { cwd: root, stdio: 'ignore' });
  }, 60_000);

  // The ESLint CLI in a child process (its flat config is an ES module, which jest's CJS sandbox
  // cannot import); the probe source goes in on stdin under a path inside the context.
  const violations = async (filePath: string, code: string): Promise<string[]> => {
    const result = spawnSync(
      process.execPath,
      [
        path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'),
        '--format',
        'json',
        '--parser-options',
        'projectService:false',
        ...TYPED_RULES_OFF,
        '--stdin',
        '--stdin-filename',
        path.join(root, filePath),
      ],
      { cwd: root, input: code, encoding: 'utf8' },
    );
    const [report] = JSON.parse(result.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
    return (report?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  };

  it('refuses a context importing another context', async () => {
    expect(await violations('libs/tracking/src/probe.ts', "import { RegistryModule } from '@cairn/registry';\nexport const x = RegistryModule;\n")).not.toEqual(
      [],
    );
    expect(await violations('libs/registry/src/probe.ts', "import { TrackingModule } from '@cairn/tracking';\nexport const x = TrackingModule;\n")).not.toEqual(
      [],
    );
  }, 60_000);

  it('refuses shared libraries importing a context', async () => {
    expect(await violations('libs/eventing/src/probe.ts', "import { TrackingModule } from '@cairn/tracking';\nexport const x = TrackingModule;\n")).not.toEqual(
      [],
    );
    expect(await violations('libs/contracts/src/probe.ts', "import { Database } from '@cairn/platform';\nexport const x = Database;\n")).not.toEqual([]);
  }, 60_000);

  it('allows a context to use contracts, eventing and platform', async () => {
    expect(
      await violations(
        'libs/registry/src/probe.ts',
        "import { CairnError } from '@cairn/contracts';\nimport { EventStore } from '@cairn/eventing';\nimport { Database } from '@cairn/platform';\nexport const x = [CairnError, EventStore, Database];\n",
      ),
    ).toEqual([]);
  }, 60_000);
});
