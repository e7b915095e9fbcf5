import { eventEnvelopeSchema, type EventEnvelope } from '@cairn/contracts';

/** The wire form of an envelope, on Kafka and between in-process subscribers alike. */
export function encodeEnvelope(envelope: EventEnvelope): string {
  return JSON.stringify(envelope);
}

export type ParsedMessage =
  | { ok: true; envelope: EventEnvelope }
  | {
      ok: false;
      reason: string;
      /** The message as JSON when it was JSON at all, for the dead-letter row. */
      json: unknown;
      /** The raw text when it was not JSON. */
      raw: string | null;
      /** Whatever could be salvaged, so the dead letter can be found and the event deduplicated. */
      eventId: string | null;
      type: string | null;
    };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses a message with `eventEnvelopeSchema`. Every consumer goes through this: a producer on an
 * older or newer contract, or a hand-written message, must not reach a projection unchecked.
 */
export function parseEnvelope(message: string | Buffer | null): ParsedMessage {
  if (message === null) return { ok: false, reason: 'empty message (tombstone)', json: undefined, raw: null, eventId: null, type: null };
  const text = typeof message === 'string' ? message : message.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}`, json: undefined, raw: text, eventId: null, type: null };
  }
  const parsed = eventEnvelopeSchema.safeParse(json);
  if (parsed.success) return { ok: true, envelope: parsed.data };
  const record = json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  const reason = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  return {
    ok: false,
    reason: `invalid envelope: ${reason}`,
    json,
    raw: null,
    eventId: typeof record.eventId === 'string' && UUID.test(record.eventId) ? record.eventId : null,
    type: typeof record.type === 'string' ? record.type : null,
  };
}
