import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NonRetriableError } from '@cairn/eventing';
import { startService, type RunningService } from '@cairn/runtime';
import { CairnApiError, CairnClient } from '@cairn/sdk';
import { createTestDatabase, waitFor, type TestDatabase } from '@cairn/testing';
import { serverDefinition } from './server.definition';

const ADMIN_PASSWORD = 'dead-letters-admin-password';

describe('dead letters over the admin API (all-in-one server, real Postgres, CAIRN_AUTH=basic)', () => {
  let db: TestDatabase;
  let home: string;
  let service: RunningService;
  let admin: CairnClient;
  // The test hook standing in for a consumer bug: the registry's run-summary consumer refuses events of these runs.
  const poisoned = new Set<string>();

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    home = mkdtempSync(path.join(os.tmpdir(), 'cairn-dead-letters-'));
    service = await startService(
      {
        ...serverDefinition,
        subscriptions: (app) =>
          (serverDefinition.subscriptions?.(app) ?? []).map((s) =>
            s.consumer !== 'registry.run-summaries'
              ? s
              : {
                  ...s,
                  handler: async (event, uow, delivery) => {
                    const runId = (event.data as { runId?: unknown }).runId;
                    if (typeof runId === 'string' && poisoned.has(runId)) throw new NonRetriableError(`run ${runId} is poisoned`);
                    await s.handler(event, uow, delivery);
                  },
                },
          ),
      },
      { CAIRN_DATABASE_URL: db.url, CAIRN_HOME: home, CAIRN_PORT: '0', CAIRN_LOG_LEVEL: 'silent', CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD },
    );
    admin = new CairnClient({ trackingUri: service.url, headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } });
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await db?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const summaryOf = async (runId: string) => {
    const response = await fetch(`${service.url}/api/2.0/cairn/registry/run-summaries/get?run_id=${runId}`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
    });
    return { status: response.status, body: (await response.json()) as { run_summary?: { params: Record<string, string> } } };
  };
  // The consumer applies asynchronously: poison a run only once its creation was applied.
  const summarised = (runId: string) => waitFor(async () => ((await summaryOf(runId)).status === 200 ? true : undefined), { message: 'the run summary' });
  const metricLine = async (pattern: RegExp) => (await (await fetch(`${service.url}/metrics`)).text()).split('\n').find((l) => pattern.test(l));

  it('a poison event is dead-lettered, listed, kept by a replay that still fails, applied exactly once after the fix, and counted on /metrics', async () => {
    const experimentId = await admin.createExperiment('dead-letters');
    const run = await admin.createRun({ experimentId });
    await summarised(run.info.run_id);
    poisoned.add(run.info.run_id);
    await admin.logParam(run.info.run_id, 'lr', '0.1');

    const page = await waitFor(async () => {
      const p = await admin.listDeadLetters('registry', { consumer: 'registry.run-summaries' });
      return p.dead_letters.length === 1 ? p : undefined;
    });
    const [letter] = page.dead_letters;
    if (letter === undefined) throw new Error('no dead letter');
    expect(letter).toMatchObject({
      context: 'registry',
      event_type: 'tracking.params.logged.v1',
      reason: `NonRetriableError: run ${run.info.run_id} is poisoned`,
    });
    expect((await admin.getDeadLetter('registry', letter.id)).envelope).toMatchObject({ data: { runId: run.info.run_id } });
    expect(await metricLine(/^cairn_dead_letter_events\{context="registry",consumer="registry.run-summaries"/)).toMatch(/ 1$/);

    // Not an admin: refused by the access table.
    const anonymous = await fetch(`${service.url}/api/2.0/cairn/admin/dead-letters/registry`);
    expect(anonymous.status).toBe(401);

    expect(await admin.replayDeadLetter('registry', letter.id)).toMatchObject({ outcome: 'failed' });
    expect((await admin.getDeadLetter('registry', letter.id)).attempts).toBe(2);
    expect((await summaryOf(run.info.run_id)).body.run_summary?.params).toEqual({});

    poisoned.clear();
    expect(await admin.replayDeadLetters('registry')).toEqual({ applied: 1, failed: [], consumers_elsewhere: [] });
    expect((await summaryOf(run.info.run_id)).body.run_summary?.params).toEqual({ lr: '0.1' });
    expect((await admin.listDeadLetters('registry')).dead_letters).toEqual([]);
    await expect(admin.replayDeadLetter('registry', letter.id)).rejects.toMatchObject({ httpStatus: 404 });
    expect(await metricLine(/^cairn_dead_letter_replays_total\{context="registry",consumer="registry.run-summaries",outcome="applied"/)).toMatch(/ 1$/);
    expect(await metricLine(/^cairn_dead_letter_replays_total\{context="registry",consumer="registry.run-summaries",outcome="failed"/)).toMatch(/ 1$/);
  });

  it('discarding needs a reason, and records who and why', async () => {
    const experimentId = await admin.createExperiment('dead-letters-discard');
    const run = await admin.createRun({ experimentId });
    await summarised(run.info.run_id);
    poisoned.add(run.info.run_id);
    await admin.setTag(run.info.run_id, 'k', 'v');
    const letter = await waitFor(async () => (await admin.listDeadLetters('registry')).dead_letters[0]);
    await expect(admin.discardDeadLetter('registry', letter.id, '')).rejects.toBeInstanceOf(CairnApiError);
    const discarded = await admin.discardDeadLetter('registry', letter.id, 'tag set by a broken script; irrelevant');
    expect(discarded).toMatchObject({ discarded_by: 'admin', discard_reason: 'tag set by a broken script; irrelevant' });
    expect((await admin.listDeadLetters('registry')).dead_letters).toEqual([]);
    expect((await admin.listDeadLetters('registry', { includeDiscarded: true })).dead_letters.map((d) => d.id)).toContain(letter.id);
    poisoned.clear();
  });
});
