import { randomUUID } from 'node:crypto';
import { InboxPruner, pruneInbox } from './inbox-pruner';
import { createEventingTestDatabase, waitFor, type EventingTestDatabase } from './testing/eventing-test-support';

describe('inbox retention', () => {
  let env: EventingTestDatabase;

  beforeAll(async () => {
    env = await createEventingTestDatabase();
  });
  afterAll(async () => {
    await env.close();
  });
  beforeEach(async () => {
    await env.db.query('TRUNCATE artifacts.inbox, registry.inbox');
  });

  /** `n` inbox rows of `consumer` processed `hoursAgo` hours ago; returns their event ids. */
  async function seed(schema: 'artifacts' | 'registry', consumer: string, n: number, hoursAgo: number): Promise<string[]> {
    const ids = Array.from({ length: n }, () => randomUUID());
    await env.db.query(
      `INSERT INTO ${schema}.inbox (consumer, event_id, event_type, outcome, processed_at)
       SELECT $1, id, 't', 'applied', now() - make_interval(hours => $3::int) FROM unnest($2::uuid[]) AS id`,
      [consumer, ids, hoursAgo],
    );
    return ids;
  }
  const remaining = async (schema: string) =>
    (await env.db.query<{ event_id: string }>(`SELECT event_id FROM ${schema}.inbox ORDER BY event_id`)).rows.map((r) => r.event_id);

  it('forgets rows older than the retention, in batches, and keeps newer ones and other contexts', async () => {
    await seed('artifacts', 'a', 7, 200);
    const recent = await seed('artifacts', 'a', 3, 100);
    const otherContext = await seed('registry', 'r', 2, 200);
    expect(await pruneInbox(env.db, 'artifacts', 168, 2)).toBe(7);
    expect(await remaining('artifacts')).toEqual([...recent].sort());
    expect(await remaining('registry')).toEqual([...otherContext].sort());
    expect(await pruneInbox(env.db, 'artifacts', 168, 2)).toBe(0);
  });

  it('runs in the background for each context it is given; two replicas pruning at once do no harm', async () => {
    await seed('registry', 'r', 5, 30);
    const recentRegistry = await seed('registry', 'r', 1, 1);
    await seed('artifacts', 'a', 4, 30);
    const pruners = [1, 2].map(() => new InboxPruner({ database: env.db, contexts: ['registry', 'artifacts'], retentionHours: 24, intervalMs: 50 }));
    for (const pruner of pruners) pruner.start();
    try {
      await waitFor(async () => ((await remaining('registry')).length === 1 && (await remaining('artifacts')).length === 0 ? true : undefined), {
        message: 'old inbox rows pruned',
      });
      expect(await remaining('registry')).toEqual(recentRegistry);
    } finally {
      await Promise.all(pruners.map((p) => p.stop()));
    }
  });
});
