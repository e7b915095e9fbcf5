import type { PoolClient } from 'pg';
import { Wakeup } from './retry';
import type { EventingDatabase } from './sql';

export interface SingleReplicaLoopOptions {
  database: Pick<EventingDatabase, 'session'>;
  /** For error messages. */
  name: string;
  /** The session-level advisory lock `(namespace, key)`: stable across releases and hosts, so replicas agree on it. */
  lock: { namespace: number; key: number };
  /** How often a standby replica tries to take the lock. */
  standbyIntervalMs: number;
  /** Pause before trying again after the n-th session in a row failed; `standbyIntervalMs` by default. */
  retryDelayMs?: (failures: number) => number;
  /** Runs once the lock is won, on the leader's session (to LISTEN on it, say). */
  onElected?: (session: LeaderSession) => Promise<void> | void;
  /**
   * One round of the leader's work; resolves to the pause before the next (0: none), which `wake()`
   * cuts short. Throwing ends the leadership: the session and its lock are dropped.
   */
  round: (session: LeaderSession) => Promise<number>;
  /**
   * Before every round but the first, prove with a round trip that the lock's connection still works.
   * For rounds that never use the session themselves: a connection that broke silently would let
   * another replica take the lock while this one still believes it leads.
   */
  confirmBeforeRound?: boolean;
  /** A session failed (lost connection, a round threw); the loop tries again after `retryDelayMs`. */
  onError: (error: unknown) => void;
}

/** The leader's dedicated database session: the connection that holds the advisory lock. */
export interface LeaderSession {
  readonly client: PoolClient;
  /** The error that broke the connection, once it broke (the lock went with it). */
  readonly connectionLost: unknown;
}

/**
 * Runs a loop of rounds on exactly one replica: the holder of a session-level advisory lock. Every
 * replica runs one; the others try the lock every `standbyIntervalMs`. The lock lives on a dedicated
 * connection, so a crashed leader frees it with its connection and no lease has to expire. Shared
 * by the outbox relays and the contexts' periodic jobs.
 */
export class SingleReplicaLoop {
  private readonly wakeup = new Wakeup();
  private running: Promise<void> | undefined;
  private stopping = false;
  private leader = false;

  constructor(private readonly options: SingleReplicaLoopOptions) {}

  /** True while this replica holds the lock. */
  get isLeader(): boolean {
    return this.leader;
  }

  /** Starts the loop in the background; it leads as soon as the lock is free. */
  start(): void {
    if (this.running !== undefined) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Lets the round in flight finish, then releases the lock and its connection. */
  async stop(): Promise<void> {
    if (this.running === undefined) return;
    this.stopping = true;
    this.wakeup.wake();
    await this.running;
    this.running = undefined;
  }

  /** Ends the leader's current pause at once (a NOTIFY arrived, say); remembered if no pause is under way. */
  wake(): void {
    this.wakeup.wake();
  }

  private async loop(): Promise<void> {
    const { standbyIntervalMs, retryDelayMs = () => standbyIntervalMs } = this.options;
    let failures = 0;
    while (!this.stopping) {
      try {
        await this.session();
        failures = 0;
      } catch (error) {
        failures++;
        this.options.onError(error);
      }
      if (!this.stopping) await this.wakeup.wait(failures > 0 ? retryDelayMs(failures) : standbyIntervalMs);
    }
  }

  /** One database session: take the lock if free, then lead until stopped or disconnected. */
  private async session(): Promise<void> {
    const { database, lock, name } = this.options;
    const client = await database.session();
    const session = { client, connectionLost: undefined as unknown };
    // A dropped connection is an 'error' event; without a listener it would crash the process.
    client.on('error', (error) => {
      session.connectionLost = error;
      this.wakeup.wake();
    });
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [lock.namespace, lock.key]);
      if (rows[0]?.locked !== true) return;
      this.leader = true;
      await this.options.onElected?.(session);
      for (let first = true; !this.stopping; first = false) {
        if (session.connectionLost !== undefined) throw new Error(`${name}: lock connection lost`, { cause: session.connectionLost });
        // Still ours? A connection that broke silently shows here, before another round runs.
        if (this.options.confirmBeforeRound === true && !first) await client.query('SELECT 1');
        const pauseMs = await this.options.round(session);
        if (pauseMs > 0 && !this.stopping) await this.wakeup.wait(pauseMs);
      }
    } finally {
      this.leader = false;
      // Destroying the session releases the advisory lock (and any LISTEN) with it.
      client.release(true);
    }
  }
}
