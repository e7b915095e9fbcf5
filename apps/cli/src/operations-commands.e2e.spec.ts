import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { CairnClient } from '@cairn/sdk';
import { startServer, type StartedServer } from '@cairn/testing';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const distMain = path.join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js');

function spawnCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [distMain, ...args],
      { cwd: repoRoot, env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir() }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

jest.setTimeout(60_000);

// The operator commands against a started server process: a dead letter (written as the consumer
// would have, for an event it then failed on) listed, shown, replayed through the real consumer; verify.
describe('cairn dead-letters and cairn admin verify, rebuild and export-events', () => {
  let server: StartedServer;
  let sql: Client;
  const cairn = (...args: string[]) => spawnCli([...args, '--tracking-uri', server.url]);

  beforeAll(async () => {
    server = await startServer();
    sql = new Client({ connectionString: server.databaseUrl });
    await sql.connect();
  }, 120_000);
  afterAll(async () => {
    await sql?.end();
    await server?.stop();
  });

  it('lists, shows and replays a dead letter through the consumer, then verify finds the read model equal to a rebuild', async () => {
    const client = new CairnClient(server.url);
    const experimentId = await client.createExperiment('cli-dead-letters');
    const run = await client.createRun({ experimentId });
    const runId = run.info.run_id;
    // A tag event the registry's consumer "failed on": in the log, but not in its run summary.
    const [event] = (
      await sql.query<{ envelope: unknown }>(
        `SELECT jsonb_build_object('eventId', $1::text, 'type', 'tracking.tags.set.v1', 'context', 'tracking', 'aggregateId', $2::text,
           'aggregateVersion', 1, 'occurredAt', '2026-12-08T00:00:00.000Z', 'actor', 'cli-test', 'correlationId', null, 'causationId', null,
           'data', jsonb_build_object('runId', $2::text, 'tags', jsonb_build_array(jsonb_build_object('key', 'replayed', 'value', 'yes')))) AS envelope`,
        [randomUUID(), runId],
      )
    ).rows;
    await sql.query(
      `INSERT INTO registry.dead_letters (consumer, event_id, event_type, envelope, reason, attempts, source_topic)
       VALUES ('registry.run-summaries', ($1::jsonb ->> 'eventId')::uuid, 'tracking.tags.set.v1', $1::jsonb, 'Error: database hiccup', 5, 'cairn.tracking.events.v1')`,
      [JSON.stringify(event?.envelope)],
    );

    const listed = await cairn('dead-letters', 'list', 'registry');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/registry\.run-summaries\s+tracking\.tags\.set\.v1\s+5\s/);
    const { dead_letters: letters } = JSON.parse((await cairn('dead-letters', 'list', 'registry', '--json')).stdout) as { dead_letters: Array<{ id: string }> };
    const id = letters[0]?.id ?? '';
    expect((await cairn('dead-letters', 'show', 'registry', id)).stdout).toMatch(/reason\s+Error: database hiccup/);
    expect((await cairn('dead-letters', 'replay', 'registry')).code).toBe(2); // an id or --all

    const replayed = await cairn('dead-letters', 'replay', 'registry', id);
    expect(replayed).toMatchObject({ code: 0, stdout: `applied dead letter ${id}\n` });
    const { rows } = await sql.query<{ tags: Record<string, string> }>('SELECT tags FROM registry.run_summaries WHERE run_id = $1', [runId]);
    expect(rows[0]?.tags['replayed']).toBe('yes');
    expect((await cairn('dead-letters', 'list', 'registry')).stdout).toBe('(none)\n');
    expect((await cairn('dead-letters', 'discard', 'registry', id, '--reason', 'x')).stderr).toMatch(/RESOURCE_DOES_NOT_EXIST/);

    const verified = await cairn('admin', 'verify', 'tracking');
    expect(verified).toMatchObject({ code: 0, stdout: expect.stringMatching(/^tracking: \d+ rows in \d+ tables, equal to a rebuild\n$/) });
    await sql.query('UPDATE tracking.runs SET status = $1 WHERE run_uuid = $2', ['KILLED', runId]);
    const differing = await cairn('admin', 'verify', 'tracking');
    expect(differing.code).toBe(1);
    expect(differing.stdout).toContain('tracking.runs: 1 row(s) only in the read model, 1 only in the rebuild');

    // The repair: an online rebuild, followed to the end, after which verify finds them equal again.
    const rebuilt = await cairn('admin', 'rebuild', 'tracking', '--interval-ms', '100');
    expect(rebuilt).toMatchObject({ code: 0, stdout: expect.stringMatching(/^tracking: succeeded, done, (\d+)\/\1 events \(100%\), finished /) });
    expect((await client.getRun(runId)).info.status).not.toBe('KILLED');
    expect((await cairn('admin', 'verify', 'tracking')).code).toBe(0);
    expect((await cairn('admin', 'rebuild-status', 'tracking', '--json')).stdout).toContain('"state": "succeeded"');
  });

  it('exports the event log as NDJSON', async () => {
    const exported = await cairn('admin', 'export-events', '--context', 'tracking');
    expect(exported.code).toBe(0);
    const events = exported.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { position: number; context: string; type: string });
    const { rows } = await sql.query<{ n: string }>('SELECT count(*) AS n FROM tracking.events');
    expect(events).toHaveLength(Number(rows[0]?.n));
    expect(events[0]).toMatchObject({ position: expect.any(Number), context: 'tracking', type: 'tracking.experiment.created.v1' });
    expect((await cairn('admin', 'export-events', '--since', 'tomorrow')).stderr).toMatch(/INVALID_PARAMETER_VALUE/);
  });
});
