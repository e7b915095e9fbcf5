import { KafkaJSAggregateError, KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describeKafkaError, isTransientKafkaError, KafkaNotReadyError, TopicNotReadyError, untilKafkaReady } from './kafka-readiness';

// kafkajs builds protocol errors from the broker's error codes, as here (its constructor takes that shape).
const protocolError = (type: string, retriable: boolean, message = type) =>
  new KafkaJSProtocolError({ type, retriable, message, code: 0 } as unknown as Error & { retriable: boolean });
const unknownTopic = () => protocolError('UNKNOWN_TOPIC_OR_PARTITION', true, 'This server does not host this topic-partition');

describe('isTransientKafkaError', () => {
  it('waits out the states of a topic created a moment ago and of a broker still starting', () => {
    for (const type of ['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION'])
      expect(isTransientKafkaError(protocolError(type, true))).toBe(true);
    expect(isTransientKafkaError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'))).toBe(true);
    expect(isTransientKafkaError(new TopicNotReadyError('topic t has no leader on partitions 1'))).toBe(true);
  });

  it('looks through the wrappers kafkajs puts around them', () => {
    expect(isTransientKafkaError(new KafkaJSNumberOfRetriesExceeded(unknownTopic(), { retryCount: 5, retryTime: 3000 }))).toBe(true);
    expect(isTransientKafkaError(new KafkaJSAggregateError('Topic creation errors', [unknownTopic(), unknownTopic()]))).toBe(true);
    expect(
      isTransientKafkaError(new KafkaJSAggregateError('Topic creation errors', [unknownTopic(), protocolError('TOPIC_AUTHORIZATION_FAILED', false)])),
    ).toBe(false);
  });

  it('does not retry what waiting cannot fix, nor a wait that already spent its deadline', () => {
    expect(isTransientKafkaError(protocolError('TOPIC_AUTHORIZATION_FAILED', false))).toBe(false);
    expect(isTransientKafkaError(new KafkaJSNonRetriableError('Invalid topic'))).toBe(false);
    expect(isTransientKafkaError(new Error('boom'))).toBe(false);
    expect(isTransientKafkaError(new KafkaNotReadyError('Kafka not ready after 10 ms: x', { cause: unknownTopic() }))).toBe(false);
  });
});

describe('describeKafkaError', () => {
  it("names the broker's reasons inside kafkajs's aggregate, which alone says only 'Topic creation errors'", () => {
    const aggregate = new KafkaJSAggregateError('Topic creation errors', [
      protocolError('INVALID_REPLICATION_FACTOR', false, 'Replication factor: 3 larger than available brokers: 1.'),
    ]);
    expect(describeKafkaError(aggregate)).toBe('Topic creation errors: INVALID_REPLICATION_FACTOR (Replication factor: 3 larger than available brokers: 1.)');
    expect(describeKafkaError(unknownTopic())).toBe('This server does not host this topic-partition');
  });

  it('is the message a non-transient aggregate is thrown with', async () => {
    const attempt = async () => {
      throw new KafkaJSAggregateError('Topic creation errors', [protocolError('POLICY_VIOLATION', false, 'retention.ms too large')]);
    };
    await expect(untilKafkaReady('t', attempt, { deadline: Date.now() + 1_000, timeoutMs: 1_000, logger: silent })).rejects.toThrow(
      'Topic creation errors: POLICY_VIOLATION (retention.ms too large)',
    );
  });
});

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('untilKafkaReady', () => {
  const logged: string[] = [];
  const logger = { debug: () => undefined, warn: () => undefined, error: () => undefined, info: (_: unknown, message: string) => void logged.push(message) };
  beforeEach(() => (logged.length = 0));

  it('retries a transient failure, with a log line per wait, until it succeeds', async () => {
    let calls = 0;
    const value = await untilKafkaReady(
      'topic t to have a leader on every partition',
      async () => {
        if (++calls < 3) throw unknownTopic();
        return 'ready';
      },
      { deadline: Date.now() + 5_000, timeoutMs: 5_000, logger },
    );
    expect(value).toBe('ready');
    expect(calls).toBe(3);
    expect(logged).toEqual([
      'waiting for Kafka: topic t to have a leader on every partition',
      'waiting for Kafka: topic t to have a leader on every partition',
    ]);
  });

  it('throws a non-transient error at once', async () => {
    let calls = 0;
    const attempt = async () => {
      calls++;
      throw protocolError('TOPIC_AUTHORIZATION_FAILED', false);
    };
    await expect(untilKafkaReady('t', attempt, { deadline: Date.now() + 5_000, timeoutMs: 5_000, logger })).rejects.toThrow(KafkaJSProtocolError);
    expect(calls).toBe(1);
  });

  it('gives up at the deadline with an error saying what it waited for and the last broker answer', async () => {
    const attempt = async () => {
      throw unknownTopic();
    };
    const startedAt = Date.now();
    const waiting = untilKafkaReady('topic t to be created', attempt, { deadline: Date.now() + 300, timeoutMs: 300, logger });
    await expect(waiting).rejects.toThrow(KafkaNotReadyError);
    await expect(waiting).rejects.toThrow('Kafka not ready after 300 ms: topic t to be created: This server does not host this topic-partition');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
  });

  it('stops waiting when its signal aborts (the bus is stopped)', async () => {
    const stopped = new AbortController();
    const attempt = async () => {
      throw unknownTopic();
    };
    const waiting = untilKafkaReady('t', attempt, { deadline: Date.now() + 60_000, timeoutMs: 60_000, logger, signal: stopped.signal });
    stopped.abort(new Error('Kafka event bus stopped'));
    await expect(waiting).rejects.toThrow('Kafka event bus stopped');
  });
});
