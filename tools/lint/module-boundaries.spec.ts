import { computeProjectGraph, violationsOf } from './eslint-probe';

// "No context imports another": the lint rule must fail the build when one does. This lints probe
// sources placed (virtually) inside the contexts with the project's real ESLint configuration.
describe('module boundaries', () => {
  beforeAll(() => computeProjectGraph(), 60_000);

  const violations = async (filePath: string, code: string): Promise<string[]> => violationsOf('@nx/enforce-module-boundaries', filePath, code);

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
