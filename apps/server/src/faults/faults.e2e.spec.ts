import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Client } from 'pg';
import { CairnClient } from '@cairn/sdk';
import {
  ensureBuilt,
  freePort,
  startPrivateKafka,
  startPrivateMinio,
  startPrivatePostgres,
  startServer,
  startTcpProxy,
  testEndpoints,
  trackChildProcess,
  waitFor,
  type PrivateKafka,
  type PrivateMinio,
  type PrivatePostgres,
  type StartedServer,
  type TcpProxy,
} from '@cairn/testing';
import { Ledger, Observations, startSdkWorkers, type Worker } from './testing/fault-clients';

// The fault-injection suite (docs/reliability.md): sixteen clients — fifteen SDK clients and the
// official mlflow client — write to the all-in-one server (its own Postgres behind a TCP proxy the
// test controls, its own Kafka, its own MinIO on a small disk) and record in a ledger what was
// acknowledged. While they write, faults are injected one after another; after each the suite
// waits until every client has a write acknowledged again (the recovery time), and at the end it
// checks the server against the ledger: every acknowledged write is readable, nothing half-visible,
// every read model equal to a rebuild from the event log, every webhook event delivered with a
// stable id in order per model. CAIRN_FAULTS_SOAK=1 repeats the faults for several rounds (run by hand).
const SOAK = process.env['CAIRN_FAULTS_SOAK'] === '1';
const ROUNDS = SOAK ? Number(process.env['CAIRN_FAULTS_ROUNDS'] ?? 4) : 1;
const KAFKA_AWAY_MS = SOAK ? 60_000 : 15_000;
// Off in CI for now: after the broker restarts, the all-in-one server's outbox relay was seen not to
// publish again within two minutes (docs/reliability.md, "Found"). On by hand and in the soak.
const KAFKA_FAULT = SOAK || process.env['CAIRN_FAULTS_KAFKA'] === '1';
const RSS_BOUND_MB = Number(process.env['CAIRN_FAULTS_RSS_BOUND_MB'] ?? 1_024);
const RECOVERY_TIMEOUT_MS = 120_000;
const METRIC_WRITERS = 8;
const UPLOADERS = 3;

interface FaultRecord {
  fault: string;
  round: number;
  heldMs: number;
  /** From the end of the fault (the dependency back) until every client had a write acknowledged again. */
  recoveryMs: number;
  /** What the SDK clients saw from the start of the fault until recovery (retried answers included). */
  clientsSaw: Record<string, number>;
}

describe('faults under load: sixteen clients, every acknowledged write kept', () => {
  const id = randomBytes(4).toString('hex');
  const ledger = new Ledger();
  const observations = new Observations();
  const faults: FaultRecord[] = [];
  const rssSamples: number[] = [];
  let database: PrivatePostgres;
  let proxy: TcpProxy;
  let kafka: PrivateKafka;
  let minio: PrivateMinio;
  let server: StartedServer;
  let receiver: Receiver;
  let smallDisk: string | undefined;
  let home: string;
  let port: number;
  let serverEnv: Record<string, string>;
  let databaseUrl: string;
  let url: string;
  let running = true;
  let workers: Worker[] = [];
  let python: MlflowWriter | undefined;
  let poisonRunId: string;
  const work = mkdtempSync(path.join(os.tmpdir(), 'cairn-faults-'));

  const client = (patient = true) =>
    new CairnClient({
      trackingUri: url,
      fetch: observations.fetch,
      // As a user's script: the SDK's retries over about 10 s, each attempt bounded.
      retry: patient ? { maxRetries: 8, baseDelayMs: 200, maxDelayMs: 2_000 } : { maxRetries: 0 },
      timeoutMs: 30_000,
    });

  const startCairn = () => startServer({ database: { url: databaseUrl }, home, env: serverEnv, timeoutMs: 150_000 });

  beforeAll(async () => {
    ensureBuilt();
    smallDisk = mountSmallDisk(path.join(work, 'disk'));
    [database, kafka, minio, receiver] = await Promise.all([
      startPrivatePostgres(),
      startPrivateKafka({ security: 'plaintext' }),
      startPrivateMinio({}, smallDisk ? { dataDir: path.join(smallDisk, 'minio') } : {}),
      startReceiver(),
    ]);
    const target = new URL(database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    databaseUrl = database.url.replace(`:${target.port}/`, `:${proxy.port}/`);
    home = path.join(work, 'home');
    mkdirSync(home);
    port = await freePort();
    serverEnv = {
      // A fixed port, so the clients reach the server restarted after a SIGKILL at the same URL.
      CAIRN_PORT: String(port),
      CAIRN_KAFKA_BROKERS: kafka.brokers,
      CAIRN_KAFKA_TOPIC_PREFIX: `faults-${id}.`,
      CAIRN_RELAY_INTERVAL_MS: '100',
      CAIRN_ARTIFACT_ROOT: `s3://faults-${id}/artifacts`,
      CAIRN_S3_ENDPOINT: minio.endpoint,
      CAIRN_S3_ACCESS_KEY: minio.accessKey,
      CAIRN_S3_SECRET_KEY: minio.secretKey,
      CAIRN_WEBHOOK_ALLOW_HTTP: 'true',
      CAIRN_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      CAIRN_WEBHOOK_SECRET_KEY: randomBytes(32).toString('hex'),
      CAIRN_WEBHOOK_RETRY_BASE_MS: '200',
      CAIRN_WEBHOOK_RETRY_MAX_DELAY_MS: '2000',
    };
    server = await startCairn();
    url = server.url;
  }, 300_000);

  afterAll(async () => {
    running = false;
    await python?.stop().catch(() => undefined);
    await Promise.allSettled(workers.map((worker) => worker.done));
    await server?.stop();
    await proxy?.close();
    await Promise.allSettled([database?.destroy(), kafka?.destroy(), minio?.destroy(), receiver?.stop()]);
    if (smallDisk !== undefined) execFileSync('umount', ['-l', smallDisk]);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  /** Waits until every client (the mlflow one included) had a write acknowledged after `since`. */
  const everyClientWrote = (since: number, message: string) =>
    waitFor(
      () => {
        const behind = workers.filter((w) => w.lastAckAt <= since).map((w) => w.name);
        if ((python?.lastAckAt ?? Infinity) <= since) behind.push(`mlflow client (${python?.describe()})`);
        if (behind.length === 0) return true;
        // Thrown, so the timeout's message names who is behind and what the clients last saw.
        throw new Error(
          `behind: ${behind.join(', ')}; failed for good: ${JSON.stringify(Object.fromEntries(ledger.failed))}; last seen: ${JSON.stringify(observations.seen.slice(-3))}; server ${
            server.process.exitCode ?? server.process.signalCode ?? 'running'
          }: ${server.output().slice(-4_000)}`,
        );
      },
      { timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 100, message },
    );

  /** Injects one fault under load, holds it, restores, and records how long until every client wrote again. */
  const inject = async (fault: string, round: number, during: { hold: () => Promise<void>; restore: () => Promise<void> }) => {
    await everyClientWrote(Date.now(), `every client to be writing before ${fault}`);
    if (SOAK) rssSamples.push(rssMb(server));
    const startedAt = Date.now();
    await during.hold();
    const heldMs = Date.now() - startedAt;
    await during.restore();
    const restoredAt = Date.now();
    await everyClientWrote(restoredAt, `every client to write again after ${fault}`);
    const recoveredAt = Date.now();
    faults.push({ fault, round, heldMs, recoveryMs: recoveredAt - restoredAt, clientsSaw: observations.between(startedAt, recoveredAt) });
  };

  const hold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it(
    'drives sixteen clients through every fault and loses no acknowledged write',
    async () => {
      const setup = client();
      const experimentId = await setup.createExperiment(`faults-${id}`);
      const newRun = async (name: string) => (await setup.createRun({ experimentId, runName: name })).info.run_id;
      const metricRuns = await Promise.all(Array.from({ length: METRIC_WRITERS }, (_, i) => newRun(`metrics-${i}`)));
      const logMetricRun = await newRun('log-metric');
      const artifactRuns = await Promise.all(Array.from({ length: UPLOADERS }, (_, i) => newRun(`artifacts-${i}`)));
      const pythonRun = await newRun('mlflow-client');
      poisonRunId = await newRun('poisoned');
      const models = await Promise.all(
        ['churn', 'fraud'].map(async (model) => {
          const name = `${model}-${id}`;
          await setup.createRegisteredModel(name);
          return { name, runId: await newRun(`${model}-training`) };
        }),
      );
      // The subscription whose deliveries are checked: every version created and every alias move.
      const main = await setup.createWebhook({
        name: 'deployments',
        url: `${receiver.url}/main`,
        events: [
          { entity: 'MODEL_VERSION', action: 'CREATED' },
          { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
        ],
      });
      expect(main.webhook_id).toEqual(expect.any(String));
      // The registry learns of runs from tracking's events: the poisoned run is known before its poison.
      await waitFor(async () => ((await registryRunSummary(url, poisonRunId)) !== undefined ? true : undefined), {
        timeoutMs: 30_000,
        message: 'the registry to see the run that will be poisoned',
      });

      // The receiver is down from the first fault to the last: every delivery waits in the log.
      await receiver.down();
      const receiverDownAt = Date.now();
      workers = startSdkWorkers({
        makeClient: () => client(),
        ledger,
        running: () => running,
        metricRuns,
        logMetricRun,
        artifactRuns,
        models,
        webhookUrl: receiver.url,
        scratchDir: work,
      });
      python = startMlflowWriter(url, pythonRun, path.join(work, 'stop-python'));
      expect(workers.length + 1).toBe(16);

      for (let round = 1; round <= ROUNDS; round++) {
        await inject('SIGKILL of the server', round, {
          hold: async () => {
            await server.kill();
            server = await startCairn();
          },
          restore: async () => undefined,
        });
        await inject('Postgres stopped (fast shutdown) and restarted', round, {
          hold: async () => {
            await database.stop();
            await hold(4_000);
          },
          restore: () => database.start(),
        });
        await inject('network stall between the server and Postgres (TCP proxy)', round, {
          hold: async () => {
            proxy.stall();
            await hold(6_000);
          },
          restore: async () => proxy.resume(),
        });
        await inject('MinIO stopped during uploads', round, {
          hold: async () => {
            await minio.stop();
            await hold(5_000);
          },
          restore: () => minio.start(),
        });
        if (KAFKA_FAULT)
          await inject(`Kafka broker stopped for ${KAFKA_AWAY_MS / 1000} s`, round, {
            hold: async () => {
              await kafka.stop();
              await hold(KAFKA_AWAY_MS);
            },
            restore: async () => {
              await kafka.start();
              // Recovered once events flow again too: the registry's consumer applies a param logged now.
              const canary = `canary-${round}`;
              await client().logParam(pythonRun, canary, 'after-kafka');
              await waitFor(
                async () => {
                  if ((await registryRunSummary(url, pythonRun))?.params[canary] === 'after-kafka') return true;
                  throw new Error(`outbox: ${await outboxDepth(database.url)}; server: ${server.output().slice(-3_000)}`);
                },
                {
                  timeoutMs: RECOVERY_TIMEOUT_MS,
                  intervalMs: 250,
                  message: 'the registry to apply an event logged after Kafka came back',
                },
              );
            },
          });
        await injectPoisonEvent(round);
        if (smallDisk !== undefined) {
          const disk = smallDisk;
          const filler = path.join(disk, 'filler');
          await inject('artifact store’s disk full', round, {
            hold: async () => {
              fillDisk(filler);
              await hold(5_000);
            },
            restore: async () => rmSync(filler, { force: true }),
          });
        }
      }

      running = false;
      await Promise.all(workers.map((worker) => worker.done));
      const pythonLedger = await python.stop();

      // The receiver comes back after every fault: everything it missed arrives.
      const receiverDownMs = Date.now() - receiverDownAt;
      await receiver.up();
      const upAt = Date.now();
      const expectedEvents = [...ledger.versions].flatMap(([model, { acked }]) => acked.map(({ version }) => `model_version/created ${model} v${version}`));
      expectedEvents.push(
        ...[...ledger.aliasMoves].flatMap(([model, moves]) => moves.map((version) => `model_version_alias/created ${model} v${version} champion`)),
      );
      await waitFor(
        () => {
          const delivered = new Set(receiver.deliveries.filter((d) => d.path === '/main').map(eventKey));
          return expectedEvents.every((event) => delivered.has(event)) ? true : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250, message: 'the receiver to get every acknowledged version and alias move' },
      );
      faults.push({
        fault: `webhook receiver down (${Math.round(receiverDownMs / 1000)} s, through every other fault)`,
        round: 1,
        heldMs: receiverDownMs,
        recoveryMs: Date.now() - upAt,
        clientsSaw: {},
      });

      const reader = client();
      const problems: string[] = [];
      let lost = 0;
      let duplicated = 0;
      let unacknowledgedVisible = 0;

      // Metrics: every acknowledged step readable; a step's three points all there or none (one batch, one transaction); no point twice.
      const metricLedger = [...ledger.metrics, [pythonRun, pythonLedger] as const];
      for (const [runId, entry] of metricLedger) {
        const stepsByKey: Array<Set<number>> = [];
        for (const key of entry.keys) {
          const history = await reader.getMetricHistory(runId, key);
          const steps = history.map((m) => Number(m.step));
          duplicated += steps.length - new Set(steps).size;
          stepsByKey.push(new Set(steps));
        }
        const [first = new Set<number>()] = stepsByKey;
        for (const step of entry.acked) if (!stepsByKey.every((steps) => steps.has(step))) lost++;
        for (const step of first) {
          if (!entry.acked.has(step)) unacknowledgedVisible++;
          if (!entry.attempted.has(step)) problems.push(`${runId}: step ${step} was never sent`);
        }
        if (stepsByKey.some((steps) => steps.size !== first.size || [...steps].some((s) => !first.has(s)))) problems.push(`${runId}: a log-batch half-visible`);
      }

      // Artifacts: every acknowledged upload listed with its size and its bytes; nothing listed that was never sent or is cut short.
      for (const [runId, files] of ledger.artifacts) {
        const listed = new Map((await reader.listArtifactFiles(runId, 'shards')).map((f) => [f.path, Number(f.file_size)]));
        for (const [relative, record] of files) {
          const size = listed.get(relative);
          if (record.acked && size === undefined) lost++;
          if (size !== undefined && size !== record.size) problems.push(`${runId}/${relative}: ${size} bytes listed, ${record.size} sent`);
          if (size !== undefined && !record.acked) unacknowledgedVisible++;
        }
        for (const relative of listed.keys()) if (!files.has(relative)) problems.push(`${runId}/${relative}: listed but never sent`);
        // The bytes of a sample (every fifth, all would take long): what was acknowledged is what is served.
        const acked = [...files].filter(([, record]) => record.acked);
        for (const [relative, record] of acked.filter((_, i) => i % 5 === 0)) {
          const downloaded = path.join(work, 'download');
          await reader.downloadArtifact(runId, relative, downloaded);
          const sha256 = createHash('sha256').update(readFileSync(downloaded)).digest('hex');
          if (sha256 !== record.sha256) problems.push(`${runId}/${relative}: served bytes differ from the acknowledged upload`);
        }
      }

      // Model versions, stages, aliases: every acknowledged one there; no source registered twice (no retry created a duplicate).
      for (const [model, versions] of ledger.versions) {
        const listed = await reader.all((pageToken) => reader.searchModelVersions({ filter: `name = '${model}'`, maxResults: 200, pageToken }));
        const bySource = new Map<string, number>();
        for (const version of listed) bySource.set(version.source ?? '', (bySource.get(version.source ?? '') ?? 0) + 1);
        duplicated += [...bySource.values()].reduce((sum, n) => sum + n - 1, 0);
        for (const { version, source } of versions.acked) {
          const found = listed.find((v) => v.version === version);
          if (found === undefined) lost++;
          else if (found.source !== source) problems.push(`${model} v${version}: source ${found.source}, acknowledged ${source}`);
          const stage = ledger.stages.get(model)?.get(version);
          if (found !== undefined && stage !== undefined && found.current_stage !== stage)
            problems.push(`${model} v${version}: stage ${found.current_stage}, acknowledged ${stage}`);
        }
        unacknowledgedVisible += listed.length - versions.acked.length;
        for (const version of listed) if (!versions.attempted.includes(version.source ?? '')) problems.push(`${model} v${version.version}: never sent`);
        const moves = ledger.aliasMoves.get(model) ?? [];
        const champion = await reader.getModelVersionByAlias(model, 'champion');
        // The last acknowledged move, or a later one whose answer was lost.
        if (Number(champion.version) < Number(moves.at(-1)))
          problems.push(`${model}: champion at v${champion.version}, last acknowledged move to v${moves.at(-1)}`);
      }

      // Webhook subscriptions.
      const subscriptions = await reader.all((pageToken) => reader.listWebhooks({ maxResults: 100, pageToken }));
      const subscriptionNames = subscriptions.map((w) => w.name);
      duplicated += subscriptionNames.length - new Set(subscriptionNames).size;
      for (const webhookId of ledger.webhooks.acked.keys()) if (!subscriptions.some((w) => w.webhook_id === webhookId)) lost++;
      unacknowledgedVisible += subscriptions.filter((w) => w.name !== 'deployments' && ![...ledger.webhooks.acked.keys()].includes(w.webhook_id)).length;

      // Deliveries: at least once, one id per event whatever the retries, in order per model.
      const mainDeliveries = receiver.deliveries.filter((d) => d.path === '/main');
      const idsByEvent = new Map<string, Set<string>>();
      for (const delivery of mainDeliveries) {
        const ids = idsByEvent.get(eventKey(delivery)) ?? new Set<string>();
        ids.add(delivery.headers['webhook-id'] ?? '');
        idsByEvent.set(eventKey(delivery), ids);
      }
      for (const [event, ids] of idsByEvent) if (ids.size !== 1) problems.push(`${event}: delivered under ${ids.size} ids`);
      for (const [model] of ledger.versions) {
        for (const entity of ['model_version', 'model_version_alias']) {
          const firstArrivals: number[] = [];
          const seen = new Set<string>();
          for (const delivery of mainDeliveries) {
            const body = JSON.parse(delivery.body) as { entity: string; data: { name: string; version: string } };
            if (body.entity !== entity || body.data.name !== model || seen.has(eventKey(delivery))) continue;
            seen.add(eventKey(delivery));
            firstArrivals.push(Number(body.data.version));
          }
          const sorted = [...firstArrivals].sort((a, b) => a - b);
          if (firstArrivals.join() !== sorted.join()) problems.push(`${entity} events of ${model} delivered out of order: ${firstArrivals.join(' ')}`);
        }
      }

      // Every read model equals a rebuild from the event log.
      const verified: Record<string, boolean> = {};
      for (const context of ['tracking', 'registry', 'artifacts'] as const) {
        const report = await reader.verifyReadModel(context);
        verified[context] = report.consistent;
        if (!report.consistent) problems.push(`${context}: projection differs from a rebuild: ${JSON.stringify(report.differences).slice(0, 2_000)}`);
      }
      expect((await reader.listDeadLetters('registry')).dead_letters).toEqual([]);

      const acknowledged = new Map(ledger.acknowledged);
      acknowledged.set('log-batch (mlflow client)', pythonLedger.acked.size);
      const figures = {
        command: SOAK
          ? `CAIRN_FAULTS_SOAK=1 CAIRN_FAULTS_ROUNDS=${ROUNDS} npm run test:faults`
          : `${KAFKA_FAULT ? 'CAIRN_FAULTS_KAFKA=1 ' : ''}npm run test:faults`,
        diskFull: smallDisk === undefined ? 'skipped: mounting a tmpfs needs root' : 'injected',
        clients: workers.length + 1,
        acknowledged: Object.fromEntries(acknowledged),
        acknowledgedTotal: [...acknowledged.values()].reduce((a, b) => a + b, 0),
        lost,
        duplicated,
        unacknowledgedButVisible: unacknowledgedVisible,
        failedForGood: Object.fromEntries(ledger.failed),
        mlflowClientFailures: pythonLedger.failures,
        deliveries: { events: idsByEvent.size, requests: mainDeliveries.length },
        verified,
        faults,
        ...(SOAK ? { serverRssMb: rssSamples } : {}),
      };
      process.stdout.write(`\nFAULT SUITE FIGURES\n${JSON.stringify(figures, null, 2)}\n${markdownTable(faults)}\n`);

      expect({ lost, duplicated, problems }).toEqual({ lost: 0, duplicated: 0, problems: [] });
      expect(faults.length).toBe(ROUNDS * (5 + (KAFKA_FAULT ? 1 : 0) + (smallDisk === undefined ? 0 : 1)) + 1);
      if (SOAK) expect(Math.max(...rssSamples)).toBeLessThan(RSS_BOUND_MB);
    },
    (SOAK ? ROUNDS * 10 : 10) * 60_000,
  );

  /**
   * A poison event: a registry projection that cannot apply one run's events (a trigger standing in
   * for a bug or a bad row) dead-letters them after its retries while every other event flows; once
   * the trigger is gone, a replay applies them exactly once.
   */
  async function injectPoisonEvent(round: number) {
    const param = `poison-${round}`;
    const startedAt = Date.now();
    // A session of its own (straight to Postgres, not through the proxy): the suite restarts Postgres.
    const sql = new Client({ connectionString: database.url });
    sql.on('error', () => undefined);
    await sql.connect();
    await sql.query(`CREATE OR REPLACE FUNCTION public.faults_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.run_id = '${poisonRunId}' THEN RAISE EXCEPTION 'the fault suite poisoned this run summary'; END IF; RETURN NEW; END $$`);
    await sql.query('CREATE TRIGGER faults_poison BEFORE INSERT OR UPDATE ON registry.run_summaries FOR EACH ROW EXECUTE FUNCTION public.faults_poison()');
    const admin = client();
    await admin.logParam(poisonRunId, param, 'bad');
    const letter = await waitFor(
      async () => {
        const letters = (await admin.listDeadLetters('registry')).dead_letters;
        const found = letters.find((d) => d.event_type === 'tracking.params.logged.v1' && d.reason.includes('poisoned'));
        if (found === undefined)
          throw new Error(
            `dead letters: ${JSON.stringify(letters).slice(0, 1_000)}; outbox: ${await outboxDepth(database.url)}; server: ${server.output().slice(-2_000)}`,
          );
        return found;
      },
      // The registry's consumer may still be working through the backlog the earlier faults left
      // (it applies every event of the sixteen clients): on a loaded machine that took over a minute.
      { timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 250, message: 'the poison event to be dead-lettered' },
    );
    expect(letter.context).toBe('registry');
    await sql.query('DROP TRIGGER faults_poison ON registry.run_summaries');
    await sql.end();
    const fixedAt = Date.now();
    const replay = await admin.replayDeadLetters('registry');
    expect(replay).toMatchObject({ applied: 1, failed: [] });
    expect((await registryRunSummary(url, poisonRunId))?.params[param]).toBe('bad');
    faults.push({
      fault: 'poison event (registry projection refuses one run) → dead letter → replay after the fix',
      round,
      heldMs: fixedAt - startedAt,
      recoveryMs: Date.now() - fixedAt,
      clientsSaw: observations.between(startedAt, Date.now()),
    });
  }
});

/** Events each context committed that its relay has not published yet. */
async function outboxDepth(databaseUrl: string): Promise<string> {
  const sql = new Client({ connectionString: databaseUrl });
  sql.on('error', () => undefined);
  try {
    await sql.connect();
    const { rows } = await sql.query<{ context: string; count: string }>(
      `SELECT 'tracking' AS context, count(*) FROM tracking.outbox UNION ALL SELECT 'registry', count(*) FROM registry.outbox UNION ALL SELECT 'artifacts', count(*) FROM artifacts.outbox`,
    );
    return rows.map((r) => `${r.context} ${r.count}`).join(', ');
  } catch (error) {
    return String(error);
  } finally {
    await sql.end().catch(() => undefined);
  }
}

/** The registry's run summary (learnt from tracking's events), or undefined while it has none. */
async function registryRunSummary(url: string, runId: string): Promise<{ params: Record<string, string> } | undefined> {
  const response = await fetch(`${url}/api/2.0/cairn/registry/run-summaries/get?run_id=${runId}`);
  if (response.status !== 200) return undefined;
  return ((await response.json()) as { run_summary: { params: Record<string, string> } }).run_summary;
}

/**
 * A 64 MiB tmpfs for MinIO's data, so the artifact store's disk can be filled without filling the
 * machine's. Mounting needs root (CAP_SYS_ADMIN); elsewhere the disk-full fault is skipped (and
 * the figures say so).
 */
function mountSmallDisk(dir: string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch {
    return undefined;
  }
}

/** Fills the filesystem `file` is on, to the last block. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  try {
    for (;;) {
      const { bavail, bsize } = statfsSync(path.dirname(file));
      const free = bavail * bsize;
      if (free === 0) break;
      writeSync(fd, chunk, 0, Math.min(chunk.length, free));
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

function rssMb(server: StartedServer): number {
  const status = readFileSync(`/proc/${server.process.pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

function eventKey(delivery: { body: string }): string {
  const body = JSON.parse(delivery.body) as { entity: string; action: string; data: { name: string; version: string; alias?: string } };
  return `${body.entity}/${body.action} ${body.data.name} v${body.data.version}${body.data.alias ? ` ${body.data.alias}` : ''}`;
}

function markdownTable(faults: Array<{ fault: string; round: number; heldMs: number; recoveryMs: number; clientsSaw: Record<string, number> }>): string {
  const rows = faults.map(
    (f) =>
      `| ${f.round} | ${f.fault} | ${(f.heldMs / 1000).toFixed(1)} s | ${(f.recoveryMs / 1000).toFixed(1)} s | ${
        Object.entries(f.clientsSaw)
          .map(([what, n]) => `${what} ×${n}`)
          .join('; ') || 'nothing'
      } |`,
  );
  return ['| round | fault | held | recovery | what the SDK clients saw (retried answers included) |', '|---|---|---|---|---|', ...rows].join('\n');
}

interface MlflowWriter {
  lastAckAt: number;
  /** Whether it runs, and what it printed last. */
  describe(): string;
  /** Creates the stop file and waits for the client to finish its step; what it acknowledged. */
  stop(): Promise<{ keys: readonly string[]; acked: Set<number>; attempted: Set<number>; failures: number }>;
}

/** The official mlflow client (the pinned 3.x virtualenv) writing through its own retries: apps/server/e2e/fault_writer.py. */
function startMlflowWriter(url: string, runId: string, stopFile: string): MlflowWriter {
  const script = path.join(__dirname, '..', '..', 'e2e', 'fault_writer.py');
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(testEndpoints.mlflowPython(3), [script, runId, stopFile], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/tmp',
      PYTHONUNBUFFERED: '1',
      MLFLOW_TRACKING_URI: url,
      // The client's own retries of 5xx and connection errors, shortened to the suite's faults.
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '4',
      MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '1',
      MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0.5',
      MLFLOW_HTTP_REQUEST_TIMEOUT: '30',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChildProcess(child);
  const acked = new Set<number>();
  const attempted = new Set<number>();
  let failures = 0;
  let stderr = '';
  let buffered = '';
  let lastLine = '';
  const writer: MlflowWriter = {
    lastAckAt: 0,
    describe: () =>
      `${child.exitCode === null ? 'running' : `exited with ${child.exitCode}`}; last line: ${lastLine.slice(0, 300)}; stderr …${stderr.slice(-1_500)}`,
    async stop() {
      const exited = new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) resolve(child.exitCode);
        else child.once('exit', (code) => resolve(code));
      });
      closeSync(openSync(stopFile, 'w'));
      const code = await exited;
      if (code !== 0) throw new Error(`the mlflow client exited with ${code}:\n${stderr.slice(-3_000)}`);
      return { keys: ['py_a', 'py_b', 'py_c'], acked, attempted, failures };
    },
  };
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      lastLine = line;
      const [verdict, step] = line.split(' ');
      if (verdict === 'ACK') {
        acked.add(Number(step));
        attempted.add(Number(step));
        writer.lastAckAt = Date.now();
      } else if (verdict === 'FAIL') {
        attempted.add(Number(step));
        failures++;
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return writer;
}

interface Receiver {
  url: string;
  deliveries: Array<{ path: string; headers: Record<string, string>; body: string }>;
  /** Closes the listener and every connection: deliveries are refused, as by a receiver that is down. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** A webhook receiver that records every request and answers 200, and can be taken down and brought back. */
async function startReceiver(): Promise<Receiver> {
  const deliveries: Receiver['deliveries'] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)]));
      deliveries.push({ path: request.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200).end();
    });
  });
  const port = await freePort();
  const listen = () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const close = async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  await listen();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deliveries, down: close, up: listen, stop: close };
}
