import { z } from 'zod';

/** The bounded contexts; each owns a Postgres schema and a Kafka topic of the same name. */
export const CONTEXTS = ['tracking', 'artifacts', 'registry', 'webhooks'] as const;
export type ContextName = (typeof CONTEXTS)[number];

/** Kafka topic per context: `cairn.<context>.events.v1` (see docs/adr/0001). */
export const topicOf = (context: ContextName): string => `cairn.${context}.events.v1`;

/**
 * Every event, in the store, on the bus and at every consumer, travels in this envelope.
 * `type` is an explicit versioned string such as `tracking.run.created.v1`; `data` is parsed by the
 * zod schema registered for that type.
 */
export const eventEnvelopeSchema = z.object({
  eventId: z.uuid(),
  type: z.string().regex(/^[a-z_]+(\.[a-z_]+)+\.v\d+$/, 'event type must look like context.entity.action.vN'),
  context: z.enum(CONTEXTS),
  aggregateId: z.string().min(1),
  aggregateVersion: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  actor: z.string(),
  correlationId: z.string().nullable(),
  causationId: z.string().nullable(),
  data: z.unknown(),
});

export type EventEnvelope<TData = unknown> = Omit<z.infer<typeof eventEnvelopeSchema>, 'data'> & { data: TData };

/** What a decider returns: an event before the store gives it an id, a version and a time. */
export interface NewEvent<TType extends string = string, TData = unknown> {
  type: TType;
  aggregateId: string;
  data: TData;
}

/** Who and why, carried from the HTTP request into every event it causes. */
export interface EventMetadata {
  actor: string;
  correlationId: string | null;
  causationId: string | null;
}
