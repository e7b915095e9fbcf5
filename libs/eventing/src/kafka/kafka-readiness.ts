import type { Admin } from 'kafkajs';
import { errorFields, type Logger } from '../logger';
import { sleep } from '../retry';

/** Thrown while a topic exists without a leader on every partition: a state that passes by itself. */
export class TopicNotReadyError extends Error {
  readonly retriable = true;
  constructor(message: string) {
    super(message);
    this.name = 'TopicNotReadyError';
  }
}

/** A Kafka wait that outlived its deadline; its `cause` is the last transient error seen. */
export class KafkaNotReadyError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'KafkaNotReadyError';
  }
}

/**
 * Whether an error describes a broker state that passes by itself: a topic just created whose
 * metadata has not reached this broker ("does not host this topic-partition"), a partition without
 * a leader yet, a broker still starting. kafkajs marks these `retriable`, but retries only some of
 * them itself (topic creation retries only LEADER_NOT_AVAILABLE) and wraps others as "number of
 * retries exceeded" or in an aggregate of per-topic errors.
 */
export function isTransientKafkaError(error: unknown): boolean {
  // A wait that already spent its deadline is final, whatever it waited on.
  if (typeof error !== 'object' || error === null || error instanceof KafkaNotReadyError) return false;
  const { errors, cause, retriable, code } = error as { errors?: unknown; cause?: unknown; retriable?: unknown; code?: unknown };
  // kafkajs calls every connection error retriable, but a certificate the client does not trust
  // will not become trusted by waiting: fail the start now, with Node's reason.
  if (typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code)) return false;
  if (Array.isArray(errors) && errors.length > 0) return errors.every(isTransientKafkaError);
  if (cause !== undefined && cause !== error) return isTransientKafkaError(cause);
  return retriable === true;
}

/**
 * The error's message with what kafkajs nests in it: an aggregate says only "Topic creation
 * errors", the broker's reasons (a replication factor above the broker count, a policy) are inside.
 */
export function describeKafkaError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { errors } = error as { errors?: unknown };
  if (!Array.isArray(errors) || errors.length === 0) return error.message;
  const reasons = errors.map((inner: unknown) => {
    const { type } = (inner ?? {}) as { type?: unknown };
    return typeof type === 'string' ? `${type} (${describeKafkaError(inner)})` : describeKafkaError(inner);
  });
  return `${error.message}: ${reasons.join('; ')}`;
}

/** An aggregate kafkajs error re-thrown with its reasons in the message (anything else as it is). */
function withDescription(error: unknown): unknown {
  const { errors } = (error ?? {}) as { errors?: unknown };
  if (!(error instanceof Error) || !Array.isArray(errors)) return error;
  const described = new Error(describeKafkaError(error), { cause: error });
  described.name = error.name;
  return described;
}

/** Node's (OpenSSL's) codes for a broker certificate that cannot be trusted as configured. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export interface ReadinessWait {
  /** Epoch ms after which a transient error is final. */
  deadline: number;
  /** The whole budget, for the message once it is spent. */
  timeoutMs: number;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * Runs `attempt` until it succeeds, retrying transient Kafka errors with capped exponential
 * backoff until the deadline, with one log line per wait. A non-transient error is thrown at once;
 * a transient one still there at the deadline becomes a KafkaNotReadyError naming what was awaited.
 * The deadline is checked between attempts: one attempt may run past it by kafkajs's own retries
 * (about 10 s for a broker that refuses connections).
 */
export async function untilKafkaReady<T>(what: string, attempt: () => Promise<T>, wait: ReadinessWait): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransientKafkaError(error)) throw withDescription(error);
      const delayMs = Math.min(2_000, 100 * 2 ** (failures - 1), wait.deadline - Date.now());
      if (delayMs <= 0) {
        throw new KafkaNotReadyError(`Kafka not ready after ${wait.timeoutMs} ms: ${what}: ${describeKafkaError(error)}`, { cause: error });
      }
      wait.logger.info({ waitingFor: what, attempt: failures, retryInMs: delayMs, ...errorFields(error) }, `waiting for Kafka: ${what}`);
      await sleep(delayMs, wait.signal);
    }
  }
}

/**
 * Resolves once `topic` exists with a leader on every partition, by this broker's metadata; until
 * the deadline, an unknown topic or a leaderless partition is waited out like any transient state.
 */
export function waitForTopicLeaders(admin: Admin, topic: string, wait: ReadinessWait): Promise<void> {
  return untilKafkaReady(
    `topic ${topic} to have a leader on every partition`,
    async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = topics[0]?.partitions ?? [];
      const leaderless = partitions.filter((p) => p.leader < 0).map((p) => p.partitionId);
      if (partitions.length === 0) throw new TopicNotReadyError(`topic ${topic} has no partitions yet`);
      if (leaderless.length > 0) throw new TopicNotReadyError(`topic ${topic} has no leader on partitions ${leaderless.join(', ')}`);
    },
    wait,
  );
}
