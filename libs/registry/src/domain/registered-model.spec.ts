import { REGISTRY_EVENT_TYPES as E, type RegistryEvent } from '@cairn/contracts';
// The file, not the @cairn/testing index: the index pulls in the generated Prisma client, which jest cannot load yet.
// eslint-disable-next-line @nx/enforce-module-boundaries -- temporary, as in libs/tracking/src/domain/run.spec.ts
import { deciderSpecification } from '../../../testing/src/decider-specification';
import { productionVersionToCompare, WATCHED_PACKAGES_TAG, type RecordedEnvironments } from './environment-drift';
import { changeOf, snapshotAt } from './history';
import { registeredModelDecider, type TimedCommand } from './registered-model';
import { liftPromptClause } from './prompt-filter';
import { canonicalStage, validateAlias, validateSource, validateVersion } from './validation';

const ID = 'rm-1';
const NAME = 'churn-gbm';
const spec = deciderSpecification<ReturnType<typeof registeredModelDecider.initialState>, TimedCommand, RegistryEvent>(registeredModelDecider);
const at = (now: number) => ({ modelId: ID, name: NAME, timestamp: now });

const created: RegistryEvent = { type: E.registeredModelCreated, aggregateId: ID, data: { ...at(1), description: null, tags: [] } };
const versionCreated = (version: string, runId: string | null = null): RegistryEvent => ({
  type: E.modelVersionCreated,
  aggregateId: ID,
  data: { ...at(2), version, source: `runs:/${runId ?? 'r'}/model`, runId, runLink: null, loggedModelId: null, description: null, userId: null, tags: [] },
});
const transitioned = (
  version: string,
  fromStage: 'None' | 'Staging' | 'Production' | 'Archived',
  toStage: 'None' | 'Staging' | 'Production' | 'Archived',
): RegistryEvent => ({
  type: E.modelVersionStageTransitioned,
  aggregateId: ID,
  data: { ...at(3), version, fromStage, toStage, archiveExistingVersions: false, archived: [] },
});
const newVersion: TimedCommand = {
  type: 'createModelVersion',
  source: 'runs:/r/model',
  runId: 'r',
  runLink: null,
  loggedModelId: null,
  description: null,
  userId: null,
  tags: [],
  now: 10,
};

describe('a registered model', () => {
  describe('numbers its versions', () => {
    it('starts at 1', () => {
      spec
        .given([created])
        .when(newVersion)
        .then([
          {
            type: E.modelVersionCreated,
            aggregateId: ID,
            data: {
              ...at(10),
              version: '1',
              source: 'runs:/r/model',
              runId: 'r',
              runLink: null,
              loggedModelId: null,
              description: null,
              userId: null,
              tags: [],
            },
          },
        ]);
    });

    it('never reuses the number of a deleted version', () => {
      const deleted: RegistryEvent = {
        type: E.modelVersionDeleted,
        aggregateId: ID,
        data: { ...at(3), version: '2', stage: 'None', runId: null, loggedModelId: null, aliasesRemoved: [] },
      };
      const state = [created, versionCreated('1'), versionCreated('2'), deleted].reduce(registeredModelDecider.evolve, registeredModelDecider.initialState());
      const [event] = registeredModelDecider.decide(newVersion, state);
      expect(event).toMatchObject({ type: E.modelVersionCreated, data: { version: '3' } });
    });

    it('refuses versions of a model that does not exist (404)', () => {
      spec
        .given([])
        .when(newVersion)
        .thenThrows(/Registered Model with name= not found/);
    });
  });

  describe('moves versions between stages', () => {
    it('archives every other version in the target stage when asked, and says which', () => {
      spec
        .given([
          created,
          versionCreated('1'),
          versionCreated('2'),
          versionCreated('3'),
          transitioned('1', 'None', 'Production'),
          transitioned('2', 'None', 'Production'),
        ])
        .when({ type: 'transitionStage', version: '3', stage: 'Production', archiveExistingVersions: true, now: 20 })
        .then([
          {
            type: E.modelVersionStageTransitioned,
            aggregateId: ID,
            data: {
              ...at(20),
              version: '3',
              fromStage: 'None',
              toStage: 'Production',
              archiveExistingVersions: true,
              archived: [
                { version: '1', fromStage: 'Production' },
                { version: '2', fromStage: 'Production' },
              ],
            },
          },
        ]);
    });

    it('lets several versions share a stage without archive_existing_versions', () => {
      spec
        .given([created, versionCreated('1'), versionCreated('2'), transitioned('1', 'None', 'Production')])
        .when({ type: 'transitionStage', version: '2', stage: 'Production', archiveExistingVersions: false, now: 20 })
        .then([
          {
            type: E.modelVersionStageTransitioned,
            aggregateId: ID,
            data: { ...at(20), version: '2', fromStage: 'None', toStage: 'Production', archiveExistingVersions: false, archived: [] },
          },
        ]);
    });

    it('refuses archive_existing_versions for a stage that is not Staging or Production (400, not 500)', () => {
      spec
        .given([created, versionCreated('1')])
        .when({ type: 'transitionStage', version: '1', stage: 'Archived', archiveExistingVersions: true, now: 20 })
        .thenThrows((error) => expect(error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' }));
    });

    it('refuses an unknown version with 404', () => {
      spec
        .given([created])
        .when({ type: 'transitionStage', version: '7', stage: 'Staging', archiveExistingVersions: false, now: 20 })
        .thenThrows((error) =>
          expect(error).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', message: 'Model Version (name=churn-gbm, version=7) not found' }),
        );
    });
  });

  describe('moves aliases', () => {
    const aliasSet = (alias: string, version: string, previousVersion: string | null): RegistryEvent => ({
      type: E.aliasSet,
      aggregateId: ID,
      data: { ...at(5), alias, version, previousVersion },
    });

    it('records where an alias came from when it moves', () => {
      spec
        .given([created, versionCreated('1'), versionCreated('2'), aliasSet('champion', '1', null)])
        .when({ type: 'setAlias', alias: 'champion', version: '2', now: 30 })
        .then([{ type: E.aliasSet, aggregateId: ID, data: { ...at(30), alias: 'champion', version: '2', previousVersion: '1' } }]);
    });

    it('emits nothing when the alias already points there, or when deleting an alias that does not exist', () => {
      spec
        .given([created, versionCreated('1'), aliasSet('champion', '1', null)])
        .when({ type: 'setAlias', alias: 'champion', version: '1', now: 30 })
        .then([]);
      spec
        .given([created, versionCreated('1')])
        .when({ type: 'deleteAlias', alias: 'champion', now: 30 })
        .then([]);
    });

    it('drops the aliases of a deleted version, naming them in the event', () => {
      spec
        .given([created, versionCreated('1'), aliasSet('champion', '1', null), aliasSet('blue', '1', null)])
        .when({ type: 'deleteModelVersion', version: '1', now: 40 })
        .then([
          {
            type: E.modelVersionDeleted,
            aggregateId: ID,
            data: { ...at(40), version: '1', stage: 'None', runId: null, loggedModelId: null, aliasesRemoved: ['champion', 'blue'] },
          },
        ]);
    });

    it('refuses to point an alias at a version that does not exist', () => {
      spec
        .given([created])
        .when({ type: 'setAlias', alias: 'champion', version: '3', now: 30 })
        .thenThrows(/not found/);
    });
  });

  describe('warns when a version enters Production with other versions of watched packages', () => {
    const watching = (value: string): RegistryEvent => ({
      type: E.registeredModelTagSet,
      aggregateId: ID,
      data: { ...at(2), key: WATCHED_PACKAGES_TAG, value, previousValue: null },
    });
    const inProduction = [created, versionCreated('1', 'run-1'), versionCreated('2', 'run-2'), transitioned('1', 'None', 'Production')];
    const toProduction = (environments?: RecordedEnvironments): TimedCommand => ({
      type: 'transitionStage',
      version: '2',
      stage: 'Production',
      archiveExistingVersions: true,
      ...(environments ? { environments } : {}),
      now: 40,
    });
    const environments: RecordedEnvironments = {
      '1': { 'scikit-learn': '1.5.2', numpy: '2.1.0', pandas: '2.2.3' },
      '2': { 'scikit-learn': '1.6.1', numpy: '2.1.0', pandas: '2.3.0', xgboost: '3.0.0' },
    };
    const transition = (environmentDrift?: unknown) => ({
      type: E.modelVersionStageTransitioned,
      aggregateId: ID,
      data: {
        ...at(40),
        version: '2',
        fromStage: 'None',
        toStage: 'Production',
        archiveExistingVersions: true,
        archived: [{ version: '1', fromStage: 'Production' }],
        ...(environmentDrift ? { environmentDrift } : {}),
      },
    });

    it('transitions anyway, naming each watched package that differs with both versions (a missing one as null)', () => {
      spec
        .given([...inProduction, watching('Scikit_Learn, numpy xgboost')])
        .when(toProduction(environments))
        .then([
          transition({
            productionVersion: '1',
            packages: [
              { name: 'scikit-learn', from: '1.5.2', to: '1.6.1' },
              { name: 'xgboost', from: null, to: '3.0.0' },
            ],
          }),
        ] as RegistryEvent[]);
    });

    it('says nothing when only unwatched packages differ, or nothing is watched', () => {
      spec
        .given([...inProduction, watching('numpy')])
        .when(toProduction(environments))
        .then([transition()] as RegistryEvent[]);
      spec
        .given(inProduction)
        .when(toProduction(environments))
        .then([transition()] as RegistryEvent[]);
    });

    it('cannot compare when either run recorded no environment, and does not pretend it matched', () => {
      const state = [...inProduction, watching('scikit-learn')].reduce(registeredModelDecider.evolve, registeredModelDecider.initialState());
      const [event] = registeredModelDecider.decide(toProduction({ '1': null, '2': environments['2'] ?? null }), state);
      expect(event?.data).not.toHaveProperty('environmentDrift');
    });

    it('compares with the highest version in Production, only for transitions to Production', () => {
      const state = [...inProduction, versionCreated('3', 'run-3'), transitioned('2', 'None', 'Production'), watching('scikit-learn')].reduce(
        registeredModelDecider.evolve,
        registeredModelDecider.initialState(),
      );
      expect(productionVersionToCompare(state, '3', 'Production')).toBe('2');
      expect(productionVersionToCompare(state, '3', 'Staging')).toBeNull();
      expect(productionVersionToCompare(state, '2', 'Production')).toBe('1');
    });

    it('checks a promotion to Production too', () => {
      const events = registeredModelDecider.decide(
        {
          type: 'promote',
          challenger: '2',
          metric: 'val_auc',
          direction: 'higher_is_better',
          minDelta: 0,
          target: { stage: 'Production' },
          archiveExisting: true,
          metricByVersion: { '1': 0.8, '2': 0.9 },
          environments,
          now: 40,
        },
        [...inProduction, watching('scikit-learn')].reduce(registeredModelDecider.evolve, registeredModelDecider.initialState()),
      );
      expect(events[1]?.data).toMatchObject({ environmentDrift: { productionVersion: '1', packages: [{ name: 'scikit-learn', from: '1.5.2', to: '1.6.1' }] } });
    });

    it('shows the warning in the history entry, in snake_case', () => {
      const [event] = registeredModelDecider.decide(
        toProduction(environments),
        [...inProduction, watching('scikit-learn')].reduce(registeredModelDecider.evolve, registeredModelDecider.initialState()),
      );
      expect(changeOf(event as RegistryEvent).after).toMatchObject({
        stage: 'Production',
        environment_drift: { production_version: '1', packages: [{ name: 'scikit-learn', from: '1.5.2', to: '1.6.1' }] },
      });
    });
  });

  describe('decides champion/challenger promotions', () => {
    const promote = (
      metricByVersion: Record<string, number | null>,
      minDelta = 0.005,
      direction: 'higher_is_better' | 'lower_is_better' = 'higher_is_better',
    ): TimedCommand => ({
      type: 'promote',
      challenger: '2',
      metric: 'val_auc',
      direction,
      minDelta,
      target: { stage: 'Production' },
      archiveExisting: true,
      metricByVersion,
      now: 50,
    });
    const given = [created, versionCreated('1'), versionCreated('2'), transitioned('1', 'None', 'Production')];
    const decision = (
      promoted: boolean,
      challengerValue: number | null,
      championValue: number | null,
      reason: string,
      minDelta = 0.005,
      direction = 'higher_is_better',
    ) => ({
      type: E.promotionDecided,
      aggregateId: ID,
      data: {
        ...at(50),
        challengerVersion: '2',
        championVersion: '1',
        metric: 'val_auc',
        direction,
        minDelta,
        challengerValue,
        championValue,
        target: { stage: 'Production' },
        archiveExisting: true,
        promoted,
        reason,
      },
    });

    it('promotes a challenger that beats the champion by the minimum delta, archiving the champion, and records why', () => {
      spec
        .given(given)
        .when(promote({ '1': 0.87, '2': 0.89 }))
        .then([
          decision(true, 0.89, 0.87, `improvement ${0.89 - 0.87} >= minimum 0.005`),
          {
            type: E.modelVersionStageTransitioned,
            aggregateId: ID,
            data: {
              ...at(50),
              version: '2',
              fromStage: 'None',
              toStage: 'Production',
              archiveExistingVersions: true,
              archived: [{ version: '1', fromStage: 'Production' }],
            },
          },
        ] as RegistryEvent[]);
    });

    it('keeps the champion when the improvement is below the minimum, and records that too', () => {
      spec
        .given(given)
        .when(promote({ '1': 0.87, '2': 0.872 }))
        .then([decision(false, 0.872, 0.87, `improvement ${0.872 - 0.87} < minimum 0.005`)] as RegistryEvent[]);
    });

    it('reads lower-is-better metrics the other way round', () => {
      const [first] = registeredModelDecider.decide(
        promote({ '1': 0.3, '2': 0.2 }, 0.05, 'lower_is_better'),
        given.reduce(registeredModelDecider.evolve, registeredModelDecider.initialState()),
      );
      expect(first).toMatchObject({ data: { promoted: true } });
    });

    it('does not promote a challenger whose run has no such metric', () => {
      const [only, ...rest] = registeredModelDecider.decide(
        promote({ '1': 0.87, '2': null }),
        given.reduce(registeredModelDecider.evolve, registeredModelDecider.initialState()),
      );
      expect(only).toMatchObject({ data: { promoted: false } });
      expect(rest).toEqual([]);
    });
  });

  describe('as of a past time', () => {
    it('answers which version held an alias and a stage then', () => {
      const events = [
        { event: created, occurredAt: 1 },
        { event: versionCreated('1'), occurredAt: 2 },
        { event: versionCreated('2'), occurredAt: 3 },
        {
          event: { type: E.aliasSet, aggregateId: ID, data: { ...at(4), alias: 'champion', version: '1', previousVersion: null } } as RegistryEvent,
          occurredAt: 4,
        },
        { event: transitioned('1', 'None', 'Production'), occurredAt: 5 },
        {
          event: { type: E.aliasSet, aggregateId: ID, data: { ...at(6), alias: 'champion', version: '2', previousVersion: '1' } } as RegistryEvent,
          occurredAt: 6,
        },
      ];
      expect(snapshotAt(events, 5)).toMatchObject({
        aliases: [{ alias: 'champion', version: '1' }],
        versions: [
          { version: '1', stage: 'Production' },
          { version: '2', stage: 'None' },
        ],
      });
      expect(snapshotAt(events, 6).aliases).toEqual([{ alias: 'champion', version: '2' }]);
      expect(snapshotAt(events, 3).aliases).toEqual([]);
      expect(snapshotAt(events, 0).exists).toBe(false);
    });
  });
});

describe('the history of a model', () => {
  it('says what each change moved, from where to where', () => {
    expect(changeOf({ type: E.aliasSet, aggregateId: ID, data: { ...at(1), alias: 'champion', version: '2', previousVersion: '1' } })).toEqual({
      version: '2',
      before: { alias: 'champion', version: '1' },
      after: { alias: 'champion', version: '2' },
    });
    expect(
      changeOf({
        type: E.modelVersionStageTransitioned,
        aggregateId: ID,
        data: {
          ...at(1),
          version: '3',
          fromStage: 'Staging',
          toStage: 'Production',
          archiveExistingVersions: true,
          archived: [{ version: '1', fromStage: 'Production' }],
        },
      }),
    ).toEqual({
      version: '3',
      before: { stage: 'Staging', archived: [{ version: '1', stage: 'Production' }] },
      after: { stage: 'Production', archived: [{ version: '1', stage: 'Archived' }] },
    });
    expect(changeOf({ type: E.registeredModelRenamed, aggregateId: ID, data: { ...at(1), newName: 'churn-v2' } })).toEqual({
      version: null,
      before: { name: NAME },
      after: { name: 'churn-v2' },
    });
  });
});

describe('registry input rules', () => {
  it('canonicalizes stages case-insensitively and refuses unknown ones', () => {
    expect(canonicalStage('staging')).toBe('Staging');
    expect(canonicalStage('PRODUCTION')).toBe('Production');
    expect(canonicalStage('none')).toBe('None');
    expect(() => canonicalStage('prod')).toThrow(/Invalid Model Version stage/);
  });

  it('reserves latest and v<digits> as alias names', () => {
    expect(validateAlias('champion')).toBe('champion');
    for (const reserved of ['latest', 'LATEST', 'v1', 'V12']) expect(() => validateAlias(reserved)).toThrow(/reserved/);
    expect(() => validateAlias('a b')).toThrow(/Invalid alias/);
  });

  it('wants integer versions', () => {
    expect(validateVersion('3')).toBe('3');
    expect(() => validateVersion('x')).toThrow(/must be an integer/);
  });

  it('accepts only sources the registry can vouch for', () => {
    const roots = [{ uri: 'file:///var/cairn/artifacts' }];
    for (const ok of [
      'runs:/abc/model',
      'models:/m-0123456789abcdef0123456789abcdef',
      'mlflow-artifacts:/1/abc/artifacts/model',
      'file:///var/cairn/artifacts/1/x',
    ]) {
      expect(validateSource(ok, roots)).toBe(ok);
    }
    for (const bad of [
      'file:///etc/passwd',
      'http://169.254.169.254/latest/meta-data',
      '/etc/passwd',
      'mlflow-artifacts:/1/../../etc',
      'mlflow-artifacts:/1/%2e%2e/%2e%2e/etc',
      'mlflow-artifacts:/1/%252e%252e/etc',
      'file:///var/cairn/artifacts/../../../etc/passwd',
      'file:///var/cairn/artifacts-evil/x',
      's3://other-bucket/x',
    ]) {
      expect(() => validateSource(bad, roots)).toThrow(/Invalid model version source/);
    }
  });
});

describe("the 2.22+/3.x clients' prompt clause", () => {
  it('is lifted out of registered-model filters wherever it stands', () => {
    expect(liftPromptClause("name LIKE 'churn%' AND tag.`mlflow.prompt.is_prompt` != 'true'")).toEqual({ filter: "name LIKE 'churn%'", excludePrompts: true });
    expect(liftPromptClause("tags.`mlflow.prompt.is_prompt` != 'true'")).toEqual({ filter: undefined, excludePrompts: true });
    expect(liftPromptClause("tag.`mlflow.prompt.is_prompt` != 'true' and name = 'a'")).toEqual({ filter: "name = 'a'", excludePrompts: true });
    expect(liftPromptClause("name = 'a' AND tag.`mlflow.prompt.is_prompt` != \"true\" AND tags.team = 'x'")).toEqual({
      filter: "name = 'a' AND tags.team = 'x'",
      excludePrompts: true,
    });
    expect(liftPromptClause("tags.team = 'x'")).toEqual({ filter: "tags.team = 'x'", excludePrompts: false });
  });
});
