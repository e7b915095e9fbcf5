import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { computeProjectGraph, lintProbes, root } from './eslint-probe';

// Each house rule of STYLE.md must fail the build when broken: probe sources placed (virtually) in the
// tree are linted with the project's real ESLint configuration, and a misformatted file goes through
// the lint step itself. Each refusal has an allowed counterpart, so a rule that refuses everything fails too.
const BOUNDARIES = '@nx/enforce-module-boundaries';
const RESTRICTED = 'no-restricted-imports';

type Verdict = 'refused' | 'allowed';
/** [file the probe pretends to be, its source, the rule under test, what that rule must say]. */
type Case = [filePath: string, code: string, rule: string, verdict: Verdict];

const importing = (specifier: string, name: string) => `import { ${name} } from '${specifier}';\nexport const ${name.toLowerCase()} = ${name};\n`;

function expectVerdicts(cases: Case[]): void {
  const reports = lintProbes(cases.map(([filePath, code]) => ({ filePath, code })));
  const actual = cases.map(([filePath, code, rule], i) => [filePath, code, rule, reports[i]?.some((m) => m.ruleId === rule) ? 'refused' : 'allowed']);
  expect(actual).toEqual(cases);
}

describe('house rules', () => {
  beforeAll(() => computeProjectGraph(), 60_000);

  it('the CLI imports only the SDK and contracts, never the server platform or a context', () => {
    expectVerdicts([
      ['apps/cli/src/probe.ts', importing('@cairn/platform', 'Database'), BOUNDARIES, 'refused'],
      ['apps/cli/src/probe.ts', importing('@cairn/tracking', 'TrackingModule'), BOUNDARIES, 'refused'],
      ['apps/cli/src/probe.ts', importing('@cairn/sdk', 'CairnClient') + importing('@cairn/contracts', 'CairnError'), BOUNDARIES, 'allowed'],
    ]);
  }, 60_000);

  it('a service imports the runtime and its own context(s) only', () => {
    const everyContext = ['tracking:TrackingModule', 'artifacts:ArtifactsModule', 'registry:RegistryModule', 'webhooks:WebhooksModule']
      .map((pair) => pair.split(':') as [string, string])
      .map(([lib, name]) => importing(`@cairn/${lib}`, name))
      .join('');
    expectVerdicts([
      ['apps/tracking-service/src/probe.ts', importing('@cairn/registry', 'RegistryModule'), BOUNDARIES, 'refused'],
      ['apps/webhook-dispatcher/src/probe.ts', importing('@cairn/artifacts', 'ArtifactsModule'), BOUNDARIES, 'refused'],
      ['apps/tracking-service/src/probe.ts', importing('@cairn/platform', 'Database'), BOUNDARIES, 'refused'],
      ['apps/tracking-service/src/probe.ts', importing('@cairn/runtime', 'runService') + importing('@cairn/tracking', 'TrackingModule'), BOUNDARIES, 'allowed'],
      // The all-in-one server composes every context.
      ['apps/server/src/probe.ts', everyContext, BOUNDARIES, 'allowed'],
    ]);
  }, 60_000);

  it('blobstore does not import the platform', () => {
    expectVerdicts([
      ['libs/blobstore/src/probe.ts', "import type { CairnConfig } from '@cairn/platform';\nexport type Probe = CairnConfig;\n", BOUNDARIES, 'refused'],
      ['libs/blobstore/src/probe.ts', importing('@cairn/contracts', 'CairnError'), BOUNDARIES, 'allowed'],
    ]);
  }, 60_000);

  it('test support is importable from specs and other test support only', () => {
    const fromSpec = importing('@cairn/testing', 'waitFor') + importing('./testing/receiver', 'TestReceiver');
    expectVerdicts([
      // Production code of a lib, of a context's layer, of the kafka adapter, of an app.
      ['libs/eventing/src/probe.ts', importing('@cairn/testing', 'waitFor'), RESTRICTED, 'refused'],
      ['libs/eventing/src/probe.ts', importing('@cairn/testing', 'waitFor'), BOUNDARIES, 'refused'],
      ['libs/webhooks/src/application/probe.ts', importing('../testing/receiver', 'TestReceiver'), RESTRICTED, 'refused'],
      ['libs/eventing/src/kafka/probe.ts', importing('../testing/eventing-test-support', 'waitFor'), RESTRICTED, 'refused'],
      ['apps/server/src/probe.ts', importing('@cairn/testing', 'startServer'), RESTRICTED, 'refused'],
      // Specs of every tier, and test support itself.
      ...['probe.spec.ts', 'probe.int.spec.ts', 'probe.e2e.spec.ts'].flatMap((name): Case[] => [
        [`libs/webhooks/src/${name}`, fromSpec, RESTRICTED, 'allowed'],
        [`libs/webhooks/src/${name}`, fromSpec, BOUNDARIES, 'allowed'],
      ]),
      ['libs/eventing/src/testing/probe.ts', importing('@cairn/testing', 'waitFor'), RESTRICTED, 'allowed'],
      ['libs/eventing/src/testing/probe.ts', importing('@cairn/testing', 'waitFor'), BOUNDARIES, 'allowed'],
    ]);
  }, 60_000);

  it('domain/ imports nothing of infra/, application/ or api/, nor a database, framework or broker', () => {
    expectVerdicts([
      ...(
        [
          ['../infra/tracking-store', 'TrackingStore'],
          ['../application/tracking-commands', 'TrackingCommands'],
          ['../api/tracking.controller', 'TrackingController'],
          ['pg', 'Pool'],
          ['@nestjs/common', 'Injectable'],
          ['@cairn/platform', 'Database'],
        ] as const
      ).map(([specifier, name]): Case => ['libs/tracking/src/domain/probe.ts', importing(specifier, name), RESTRICTED, 'refused']),
      ['libs/registry/src/domain/probe.spec.ts', importing('../infra/registry-store', 'RegistryStore'), RESTRICTED, 'refused'],
      ['libs/tracking/src/domain/probe.ts', importing('./run', 'decideRun') + importing('@cairn/contracts', 'CairnError'), RESTRICTED, 'allowed'],
    ]);
  }, 60_000);

  it('application/ does not import api/, and api/ goes through application/ (services and view types), not infra/', () => {
    expectVerdicts([
      ['libs/registry/src/application/probe.ts', importing('../api/registry.controller', 'RegistryController'), RESTRICTED, 'refused'],
      ['libs/registry/src/api/probe.ts', importing('../infra/run-summary.repository', 'RunSummaryRepository'), RESTRICTED, 'refused'],
      [
        'libs/webhooks/src/api/probe.ts',
        "import type { DeliveryRecord } from '../infra/delivery-log.repository';\nexport type P = DeliveryRecord;\n",
        RESTRICTED,
        'refused',
      ],
      [
        'libs/registry/src/api/probe.ts',
        importing('../application/registry-queries', 'RegistryQueries') +
          "import type { ModelVersionView } from '../application/views';\nexport type V = ModelVersionView;\n",
        RESTRICTED,
        'allowed',
      ],
      ['libs/registry/src/application/probe.ts', importing('../infra/registry-store', 'RegistryStore'), RESTRICTED, 'allowed'],
    ]);
  }, 60_000);

  it('a scratch .ts file outside the TypeScript project is neither linted nor format-checked; inside it, it is', () => {
    const scratch = 'let y: any = 2\n';
    expectVerdicts([
      ['scratch.ts', scratch, '@typescript-eslint/no-explicit-any', 'allowed'],
      ['docs/scratch/probe.ts', scratch, '@typescript-eslint/no-explicit-any', 'allowed'],
      ['apps/server/src/probe.ts', scratch, '@typescript-eslint/no-explicit-any', 'refused'],
    ]);
    const prettierCheck = (filePath: string) =>
      spawnSync(path.join(root, 'node_modules', '.bin', 'prettier'), ['--check', '--stdin-filepath', filePath], { cwd: root, input: scratch, encoding: 'utf8' })
        .status;
    expect(prettierCheck('scratch.ts')).toBe(0);
    expect(prettierCheck('apps/server/src/probe.ts')).not.toBe(0);
  }, 60_000);

  it('the lint step fails on a misformatted file (prettier --check), and passes once it is formatted', () => {
    const probe = path.join('tools', 'lint', `probe-${randomBytes(4).toString('hex')}.json`);
    const lint = () => spawnSync(process.execPath, [path.join(root, 'tools', 'lint.mjs'), probe], { cwd: root, encoding: 'utf8' });
    try {
      writeFileSync(path.join(root, probe), '{"rule":   "misformatted",\n"ok":false}\n');
      const failed = lint();
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain(path.basename(probe));
      writeFileSync(path.join(root, probe), '{ "rule": "formatted", "ok": true }\n');
      expect(lint().status).toBe(0);
    } finally {
      rmSync(path.join(root, probe), { force: true });
    }
  }, 60_000);
});
