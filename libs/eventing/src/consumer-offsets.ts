import type { ContextName } from '@cairn/contracts';
import type { Sql } from '@cairn/platform';
import { perContext } from './sql';

/** A Kafka position: the offset of the next message to read from one partition of a topic. */
export interface ConsumerPosition {
  topic: string;
  partition: number;
  nextOffset: bigint;
}

// Last writer wins: after a rebalance two members may briefly work the same partition; a lower
// offset written last only causes re-reads, which the inbox turns into no-ops.
const UPSERT_OFFSET = perContext(
  (s) => `INSERT INTO ${s}.consumer_offsets (consumer, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
);

const READ_OFFSETS = perContext((s) => `SELECT partition, next_offset FROM ${s}.consumer_offsets WHERE consumer = $1 AND topic = $2`);

const READ_OFFSET = perContext((s) => `SELECT next_offset FROM ${s}.consumer_offsets WHERE consumer = $1 AND topic = $2 AND partition = $3`);

export async function commitConsumerPosition(sql: Sql, context: ContextName, consumer: string, position: ConsumerPosition): Promise<void> {
  await sql.query(UPSERT_OFFSET(context), [consumer, position.topic, position.partition, position.nextOffset.toString()]);
}

/** The stored next offset, or undefined when this consumer never committed on that partition. */
export async function readConsumerPosition(sql: Sql, context: ContextName, consumer: string, topic: string, partition: number): Promise<bigint | undefined> {
  const { rows } = await sql.query<{ next_offset: string }>(READ_OFFSET(context), [consumer, topic, partition]);
  return rows.length === 0 ? undefined : BigInt(rows[0].next_offset);
}

/** Every partition's stored next offset for this consumer and topic. */
export async function readConsumerPositions(sql: Sql, context: ContextName, consumer: string, topic: string): Promise<Map<number, bigint>> {
  const { rows } = await sql.query<{ partition: number; next_offset: string }>(READ_OFFSETS(context), [consumer, topic]);
  return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
}
