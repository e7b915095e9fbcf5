import type { EventEnvelope } from '@cairn/contracts';
import { encodeEnvelope, parseEnvelope } from './envelope-codec';

const envelope: EventEnvelope = {
  eventId: '0190a6e4-8c3a-7b2e-9f1d-3c4b5a697887',
  type: 'tracking.run.created.v1',
  context: 'tracking',
  aggregateId: 'a1b2c3',
  aggregateVersion: 1,
  occurredAt: '2024-07-01T12:00:00.000Z',
  actor: 'alice',
  correlationId: 'req-1',
  causationId: null,
  data: { experimentId: '0', name: 'gbm' },
};

describe('parseEnvelope', () => {
  it('round-trips an encoded envelope, from a string or a Buffer', () => {
    expect(parseEnvelope(encodeEnvelope(envelope))).toEqual({ ok: true, envelope });
    expect(parseEnvelope(Buffer.from(encodeEnvelope(envelope)))).toEqual({ ok: true, envelope });
  });

  it('refuses a message that is not JSON and keeps the raw text', () => {
    const parsed = parseEnvelope('{"eventId": ');
    expect(parsed).toMatchObject({ ok: false, raw: '{"eventId": ', eventId: null, json: undefined });
    if (!parsed.ok) expect(parsed.reason).toMatch(/^not JSON/);
  });

  it('refuses an envelope that breaks the schema, saying where, and salvages its id and type', () => {
    const parsed = parseEnvelope(JSON.stringify({ ...envelope, type: 'RunCreated', aggregateVersion: 0 }));
    expect(parsed).toMatchObject({ ok: false, eventId: envelope.eventId, type: 'RunCreated' });
    if (!parsed.ok) {
      expect(parsed.reason).toContain('type: event type must look like context.entity.action.vN');
      expect(parsed.reason).toContain('aggregateVersion');
    }
  });

  it('does not salvage an event id that is not a uuid', () => {
    const parsed = parseEnvelope(JSON.stringify({ ...envelope, eventId: "1'; DROP TABLE" }));
    expect(parsed).toMatchObject({ ok: false, eventId: null });
  });

  it('treats an empty (tombstone) message as unparseable', () => {
    expect(parseEnvelope(null)).toMatchObject({ ok: false, reason: 'empty message (tombstone)' });
  });

  it('refuses JSON that is not an object', () => {
    expect(parseEnvelope('42')).toMatchObject({ ok: false, json: 42, eventId: null });
  });
});
