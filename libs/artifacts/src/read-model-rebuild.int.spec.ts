import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { REGISTRY_EVENT_TYPES as R, TRACKING_EVENT_TYPES as T, type EventMetadata, type RegistryEvent, type TrackingEvent } from '@cairn/contracts';
import { FilesystemBlobStore } from '@cairn/blobstore';
import { EventStore, type Subscription, snapshotTables, type TableSnapshot } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { createTestDatabase, type TestDatabase } from '@cairn/testing';
import { ArtifactCommands } from './application/artifact-commands';
import { BlobCollector } from './application/blob-collector';
import { registrySubscription, trackingSubscription } from './application/consumers';
import { RetentionEnforcer } from './application/retention-enforcer';
import { RunCollection } from './application/run-collection';
import { ArtifactRepository } from './infra/artifact-repository';
import { ARTIFACTS_CONSUMED_TABLES, ARTIFACTS_READ_MODEL_TABLES, rebuildArtifactsReadModel } from './infra/read-model-rebuild';

const meta: EventMetadata = { actor: 'test', correlationId: null, causationId: null };
const [RUN, CKPT_RUN, FREE_RUN, KEPT_RUN] = ['a', 'b', 'c', 'd'].map((c) => c.repeat(32)) as [string, string, string, string];

// Every column of every table, except one surrogate key: `seq` is drawn from a sequence by whoever
// writes the row, so a replay numbers files anew; what "keep the last N" reads is their order within
// an owner, and that is compared instead.
const TABLES: Array<string | TableSnapshot> = [...ARTIFACTS_READ_MODEL_TABLES, ...ARTIFACTS_CONSUMED_TABLES].map((table) =>
  table === 'artifacts.files' ? { table, orderWithin: { column: 'seq', partition: ['owner_id'] } } : table,
);

describe('artifacts: rebuilding the read model from the event logs', () => {
  let testDb: TestDatabase;
  let db: Database;
  let home: string;
  let repository: ArtifactRepository;
  let commands: ArtifactCommands;
  let consumers: { tracking: Subscription; registry: Subscription };

  beforeAll(async () => {
    testDb = await createTestDatabase({ migrated: true });
    db = new Database(testDb.url, { max: 10 });
    home = mkdtempSync(path.join(os.tmpdir(), 'cairn-artifacts-rebuild-'));
    const events = new EventStore();
    const blobs = new FilesystemBlobStore(home);
    repository = new ArtifactRepository(db);
    const collector = new BlobCollector(db, repository, blobs);
    const retention = new RetentionEnforcer(repository, events);
    const collection = new RunCollection(repository, events);
    commands = new ArtifactCommands(db, events, repository, blobs, collector, retention);
    consumers = {
      tracking: trackingSubscription(repository, collection, collector, retention),
      registry: registrySubscription(repository, collection, collector),
    };
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const upload = (userPath: string, content: string) => commands.upload(userPath, Readable.from([Buffer.from(content)]), undefined, meta);
  /** Events of another context as it appends them, delivered to the artifacts consumer as the bus would. */
  const deliver = async (log: 'tracking' | 'registry', events: Array<TrackingEvent | RegistryEvent>) => {
    const stored = await db.transaction((tx) => new EventStore().append(tx, log, events, meta));
    const consumer = consumers[log];
    for (const envelope of stored) await db.transaction((tx) => consumer.handler(envelope, tx, { consumer: consumer.consumer, topic: log, attempt: 1 }));
  };
  const versionCreated = (version: string, runId: string): RegistryEvent => ({
    type: R.modelVersionCreated,
    aggregateId: 'rm-1',
    data: {
      modelId: 'rm-1',
      name: 'clf',
      version,
      timestamp: 1,
      source: `runs:/${runId}/model`,
      runId,
      runLink: null,
      loggedModelId: null,
      description: null,
      userId: null,
      tags: [],
    },
  });

  it('gives back every row: files, shared contents and their counts, policies, quotas, purges, and what the consumers learnt', async () => {
    await commands.setQuota('7', 1_000_000, meta);
    await commands.setQuota('8', 10, meta);
    await commands.setQuota('8', null, meta);
    await commands.setRetentionPolicy({ experimentId: '9', prefix: 'ckpt/', keepLast: 3 }, meta);
    // Replacing a prefix's policy keeps its id; a deleted policy leaves nothing.
    await commands.setRetentionPolicy({ experimentId: '9', prefix: 'ckpt/', keepLast: 1, keepBest: 1, metricKey: 'loss', metricGoal: 'min' }, meta);
    const gone = await commands.setRetentionPolicy({ experimentId: '9', prefix: 'other/', keepLast: 1 }, meta);
    await commands.deleteRetentionPolicy(gone.policyId, meta);

    await upload(`7/${RUN}/artifacts/a.txt`, 'alpha');
    await upload(`7/${RUN}/artifacts/b.txt`, 'alpha'); // same content: one blob, more references
    await upload(`7/${RUN}/artifacts/copy.txt`, 'alpha');
    await upload(`7/${RUN}/artifacts/dir/c.txt`, 'gamma');
    await upload(`7/${RUN}/artifacts/dir/d.txt`, 'delta');
    await upload(`7/${RUN}/artifacts/a.txt`, 'alpha 2'); // overwritten: releases one reference
    await commands.delete(`7/${RUN}/artifacts/dir`, meta);
    await upload(`8/${FREE_RUN}/artifacts/model.pkl`, 'free');
    await upload(`8/${KEPT_RUN}/artifacts/model.pkl`, 'kept');
    await upload(`8/${KEPT_RUN}/artifacts/shared.txt`, 'gamma');

    // The policy ranks by loss: its points are kept, others not; checkpoints are decided as they come.
    await deliver('tracking', [
      {
        type: T.metricsLogged,
        aggregateId: CKPT_RUN,
        data: {
          runId: CKPT_RUN,
          metrics: [0.9, 0.2, 0.5, 0.7].flatMap((value, step) => [
            { key: 'loss', value, step, timestamp: 10 + step },
            { key: 'acc', value: 1 - value, step, timestamp: 10 + step },
          ]),
        },
      },
    ]);
    for (const step of [0, 1, 2, 3]) await upload(`9/${CKPT_RUN}/artifacts/ckpt/step_${step}/model.pt`, `weights ${step}`);

    // Purges: one run collected at once, one deferred while a version references it, then collected.
    await deliver('registry', [versionCreated('1', KEPT_RUN), versionCreated('2', RUN)]);
    await deliver('tracking', [
      { type: T.runPurged, aggregateId: FREE_RUN, data: { runId: FREE_RUN, experimentId: '8', deletedTime: 1 } },
      { type: T.runPurged, aggregateId: KEPT_RUN, data: { runId: KEPT_RUN, experimentId: '8', deletedTime: 1 } },
    ]);
    await deliver('registry', [
      { type: R.registeredModelRenamed, aggregateId: 'rm-1', data: { modelId: 'rm-1', name: 'clf', newName: 'clf-2', timestamp: 2 } },
      {
        type: R.modelVersionDeleted,
        aggregateId: 'rm-1',
        data: { modelId: 'rm-1', name: 'clf-2', version: '1', timestamp: 3, stage: 'None', runId: KEPT_RUN, loggedModelId: null, aliasesRemoved: [] },
      },
    ]);

    const before = await snapshotTables(db, TABLES);
    expect(before['artifacts.purged_runs']).toEqual([
      expect.objectContaining({ run_id: FREE_RUN, state: 'collected' }),
      expect.objectContaining({ run_id: KEPT_RUN, state: 'collected' }),
    ]);
    expect(before['artifacts.objects']).toContainEqual(expect.objectContaining({ ref_count: 2 }));
    expect((before['artifacts.files'] ?? []).filter((f) => (f as { owner_id: string }).owner_id === CKPT_RUN)).toHaveLength(2);
    expect(before['artifacts.run_metrics']).toHaveLength(4);
    expect(before['artifacts.model_version_refs']).toEqual([expect.objectContaining({ name: 'clf-2', version: '2' })]);
    expect(before['artifacts.retention_policies']).toHaveLength(1);
    expect(before['artifacts.quotas']).toHaveLength(1);

    const applied = await db.transaction((tx) => rebuildArtifactsReadModel(tx, repository));
    const logged = async (log: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${log}.events`)).rows[0]?.n);
    expect(applied).toEqual({ artifacts: await logged('artifacts'), tracking: await logged('tracking'), registry: 4 });
    expect(await snapshotTables(db, TABLES)).toEqual(before);

    // The rebuilt index serves reads and the next writes as before.
    expect((await repository.findFile(`7/${RUN}/artifacts/b.txt`))?.storageKey).toBe(
      (before['artifacts.objects'] as Array<{ ref_count: number; storage_key: string }>).find((o) => o.ref_count === 2)?.storage_key,
    );
    await upload(`7/${RUN}/artifacts/e.txt`, 'alpha');
  }, 60_000);
});
