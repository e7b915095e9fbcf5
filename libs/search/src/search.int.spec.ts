/**
 * The compiled SQL against the real migrated schema: it runs, it means what MLflow means, and
 * keyset pages neither skip nor repeat runs while new runs keep arriving.
 */
import fc from 'fast-check';
import { Client } from 'pg';

import { createTestDatabase, type TestDatabase } from '@cairn/testing';

import { compileSearch, experimentsSearch, runsSearch, type SearchEntity, type SearchRequest } from './index';
import { printFilter } from './printer';
import { runsFilter, runsOrderBy } from './testing/filter-trees';

jest.setTimeout(120_000);

let db: TestDatabase;
let client: Client;
let sequence = 0;

function runId(): string {
  sequence += 1;
  return `${sequence.toString(16).padStart(8, '0')}${'0'.repeat(24)}`;
}

async function newRun(startTime: number | null, acc: number | null, name = 'new'): Promise<void> {
  const id = runId();
  await client.query(
    `INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time, lifecycle_stage)
     VALUES ($1, 1, $2, 'u', 'RUNNING', $3, 'active')`,
    [id, name, startTime],
  );
  if (acc !== null) await client.query(`INSERT INTO tracking.latest_metrics VALUES ($1, 'acc', $2, 1, 0, false)`, [id, acc]);
}

/**
 * 1500 runs with many ties and NULLs: start_time NULL for every 10th, 200 distinct start times,
 * metric acc missing for 1 in 5 and NaN (stored as 0 + is_nan) for 1 in 9, params/tags on
 * subsets, dataset inputs with a context tag on a third.
 */
async function seed(): Promise<void> {
  await client.query(`INSERT INTO tracking.experiments (experiment_id, name, artifact_location, creation_time, last_update_time)
    VALUES (1, 'e1', 'x', 5, 5), (2, 'e2', 'x', NULL, 7), (3, 'e3', 'x', 5, NULL)`);
  await client.query(`INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
    SELECT lpad(to_hex(g), 8, '0') || repeat('a', 24), 1,
           CASE WHEN g % 7 = 0 THEN NULL ELSE 'run-' || (g % 50) END, 'u',
           (ARRAY['FINISHED', 'RUNNING', 'FAILED'])[g % 3 + 1],
           CASE WHEN g % 10 = 0 THEN NULL ELSE 1700000000000 + (g * 7919) % 200 END,
           CASE WHEN g % 3 = 0 THEN NULL ELSE 1700000100000 + g % 100 END, 'active', 'a'
    FROM generate_series(1, 1500) g`);
  await client.query(`INSERT INTO tracking.latest_metrics (run_uuid, key, value, timestamp, step, is_nan)
    SELECT run_uuid, 'acc', CASE WHEN h % 9 = 0 THEN 0 ELSE (h % 100) / 100.0 END, 1, 0, h % 9 = 0
    FROM (SELECT run_uuid, abs(hashtext(run_uuid)) AS h FROM tracking.runs) x WHERE h % 5 <> 0`);
  await client.query(`INSERT INTO tracking.params (run_uuid, key, value)
    SELECT run_uuid, 'lr', '0.' || (h % 13) FROM (SELECT run_uuid, abs(hashtext(run_uuid || 'p')) AS h FROM tracking.runs) x WHERE h % 4 <> 0`);
  await client.query(`INSERT INTO tracking.tags (run_uuid, key, value)
    SELECT run_uuid, 'team', CASE WHEN h % 3 = 0 THEN 'ML' ELSE 'ml' END FROM (SELECT run_uuid, abs(hashtext(run_uuid || 't')) AS h FROM tracking.runs) x WHERE h % 2 = 0`);
  await client.query(
    `INSERT INTO tracking.datasets VALUES ('d1', 1, 'iris', 'abc', 'local', 's', NULL, NULL), ('d2', 1, 'wine', 'def', 'local', 's', NULL, NULL)`,
  );
  await client.query(`INSERT INTO tracking.inputs
    SELECT 'i' || run_uuid, 'DATASET', CASE WHEN abs(hashtext(run_uuid)) % 2 = 0 THEN 'd1' ELSE 'd2' END, 'RUN', run_uuid
    FROM tracking.runs WHERE abs(hashtext(run_uuid || 'd')) % 3 = 0`);
  await client.query(`INSERT INTO tracking.input_tags
    SELECT input_uuid, 'mlflow.data.context', CASE WHEN abs(hashtext(input_uuid)) % 2 = 0 THEN 'training' ELSE 'eval' END FROM tracking.inputs`);
  await client.query('ANALYZE');
  sequence = 10_000;
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true, prefix: 'search' });
  client = new Client({ connectionString: db.url });
  await client.connect();
  await seed();
}, 60_000);

afterAll(async () => {
  await client.end();
  await db.drop();
});

/** Runs one search the way a store would: caller's own condition on $1, the compiled rest. */
async function search(entity: SearchEntity, request: SearchRequest): Promise<{ ids: string[]; next: string | undefined }> {
  const q = compileSearch(entity, { ...request, firstParamIndex: 2 });
  const id = entity === runsSearch ? 'run_uuid' : 'experiment_id';
  const { rows } = await client.query<Record<string, unknown>>(
    `SELECT ${q.alias}.${id} AS id, ${q.sortKeySelect} FROM ${entity.table} ${q.alias} ${q.joins}
     WHERE ${q.alias}.experiment_id = ANY($1::bigint[]) AND ${q.where}
     ORDER BY ${q.orderBy} LIMIT ${q.limit} OFFSET ${q.offset}`,
    [[1, 2, 3], ...q.params],
  );
  const page = q.page(rows);
  return { ids: page.rows.map((row) => String(row['id'])), next: page.nextPageToken };
}

async function count(sql: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(sql);
  return Number(rows[0]?.n);
}

it('runs every filter and order_by the grammar accepts, hostile keys and values included', async () => {
  await fc.assert(
    fc.asyncProperty(runsFilter, runsOrderBy, async (tree, orderBy) => {
      await search(runsSearch, { filter: printFilter(tree), orderBy, maxResults: 5 });
    }),
    { numRuns: 300 },
  );
});

it('matches what MLflow matches', async () => {
  const matches = async (filter: string): Promise<number> => (await search(runsSearch, { filter, maxResults: 50000 })).ids.length;
  // NaN (stored as 0 + is_nan) satisfies only !=; missing metrics satisfy nothing.
  expect(await matches('metrics.acc > -1')).toBe(await count(`SELECT count(*) n FROM tracking.latest_metrics WHERE key = 'acc' AND NOT is_nan`));
  expect(await matches('metrics.acc = 0')).toBe(await count(`SELECT count(*) n FROM tracking.latest_metrics WHERE key = 'acc' AND NOT is_nan AND value = 0`));
  expect(await matches('metrics.acc != 0.5')).toBe(
    await count(`SELECT count(*) n FROM tracking.latest_metrics WHERE key = 'acc' AND (is_nan OR value <> 0.5)`),
  );
  // LIKE is case-sensitive, ILIKE is not; = is exact.
  expect(await matches("tags.team LIKE 'm%'")).toBe(await count(`SELECT count(*) n FROM tracking.tags WHERE key = 'team' AND value = 'ml'`));
  expect(await matches("tags.team ILIKE 'm%'")).toBe(await count(`SELECT count(*) n FROM tracking.tags WHERE key = 'team'`));
  expect(await matches("tags.team != 'ml'")).toBe(await count(`SELECT count(*) n FROM tracking.tags WHERE key = 'team' AND value = 'ML'`));
  expect(await matches("datasets.name IN ('iris', 'wine')")).toBe(await count('SELECT count(*) n FROM tracking.inputs'));
  expect(await matches("datasets.context = 'training' AND datasets.digest = 'abc'")).toBe(
    await count(`SELECT count(*) n FROM tracking.inputs i JOIN tracking.input_tags t USING (input_uuid) WHERE t.value = 'training' AND i.source_id = 'd1'`),
  );
  // IS [NOT] NULL tests whether the key is there at all (MLflow's UI lists experiments with
  // ``tags.`mlflow.experiment.isGateway` IS NULL``).
  const tagged = await count(`SELECT count(*) n FROM tracking.tags WHERE key = 'team'`);
  expect(await matches('tags.team IS NOT NULL')).toBe(tagged);
  expect(await matches('tags.`team` is null')).toBe(1500 - tagged);
  expect(await matches("tags.team IS NOT NULL AND tags.team = 'ml' AND tags.team IS NULL")).toBe(0);
  expect(await matches('end_time > 0')).toBe(await count('SELECT count(*) n FROM tracking.runs WHERE end_time IS NOT NULL'));
  expect(await matches(`run_id IN ('${'00000001'}${'a'.repeat(24)}', 'nope')`)).toBe(1);
});

it('sorts metrics with numbers first, then NaN, then missing, in both directions', async () => {
  const { rows } = await client.query<{ run_uuid: string; is_nan: boolean | null }>(
    `SELECT r.run_uuid, m.is_nan FROM tracking.runs r LEFT JOIN tracking.latest_metrics m ON m.run_uuid = r.run_uuid AND m.key = 'acc'`,
  );
  const kind = new Map(rows.map((row) => [row.run_uuid, row.is_nan === null ? 2 : row.is_nan ? 1 : 0]));
  for (const direction of ['ASC', 'DESC']) {
    const { ids } = await search(runsSearch, { orderBy: [`metrics.acc ${direction}`], maxResults: 50000 });
    const kinds = ids.map((id) => kind.get(id) ?? 2);
    expect(kinds).toEqual([...kinds].sort((a, b) => a - b));
  }
});

it('sorts the same when the filter proves the sort key present (joined once, no rank) as when it does not', async () => {
  const cases: Array<[string, string[]]> = [
    ['metrics.acc > 0.3', ['metrics.acc DESC']],
    ['metrics.acc <= 0.5 AND metrics.acc >= 0.1', ['metrics.acc', 'start_time DESC']],
    ["params.lr LIKE '0.1%'", ['params.lr DESC', 'attributes.end_time']],
    ["tags.team != 'ML'", ['tags.team', 'run_name DESC']],
    ['metrics.acc != 0.5', ['metrics.acc DESC']],
  ];
  for (const [filter, orderBy] of cases) {
    const matching = new Set((await search(runsSearch, { filter, maxResults: 50000 })).ids);
    expect(matching.size).toBeGreaterThan(0);
    const unfiltered = (await search(runsSearch, { orderBy, maxResults: 50000 })).ids;
    expect((await search(runsSearch, { filter, orderBy, maxResults: 50000 })).ids).toEqual(unfiltered.filter((id) => matching.has(id)));
  }
});

it('orders experiments by creation_time DESC (NULL first, as Postgres does), then experiment_id', async () => {
  expect((await search(experimentsSearch, {})).ids).toEqual(['2', '1', '3']);
  expect((await search(experimentsSearch, { orderBy: ['last_update_time'] })).ids).toEqual(['1', '2', '3']);
});

describe('keyset pages while runs are being added', () => {
  const orders = [
    [],
    ['metrics.acc DESC'],
    ['metrics.acc'],
    ['params.lr DESC', 'attributes.end_time'],
    ['tags.team', 'run_name DESC'],
    ['start_time ASC'],
    ['end_time DESC'],
  ];
  const filters = ['', 'metrics.acc > 0.3', "params.lr LIKE '0.1%'", "tags.team = 'ml' AND datasets.context = 'training'"];

  it.each(orders.flatMap((orderBy) => filters.map((filter) => [JSON.stringify(orderBy), filter] as const)))(
    'order %s, filter %j: every original run exactly once, in order',
    async (orderByJson, filter) => {
      const orderBy = JSON.parse(orderByJson) as string[];
      const everything = await search(runsSearch, { filter, orderBy, maxResults: 50000 });
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await search(runsSearch, { filter, orderBy, maxResults: 97, pageToken: token });
        seen.push(...page.ids);
        token = page.next;
        pages += 1;
        // Runs arriving between two fetches, some sorting before the cursor, some after it.
        await newRun(pages % 2 === 0 ? 1_800_000_000_000 : 1_700_000_000_050, pages % 2 === 0 ? 0.99 : 0.01);
        await newRun(null, null);
      } while (token !== undefined);

      const original = new Set(everything.ids);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => original.has(id))).toEqual(everything.ids);

      await client.query(`DELETE FROM tracking.latest_metrics WHERE run_uuid IN (SELECT run_uuid FROM tracking.runs WHERE name = 'new')`);
      await client.query(`DELETE FROM tracking.runs WHERE name = 'new'`);
    },
  );
});
