import type { Database } from '@cairn/platform';

// Advisory lock namespace of tracking's periodic jobs (the outbox relays use another); one key per job.
const LIFECYCLE_LOCK_NAMESPACE = 0x0ca1_11fe;

export interface SingleReplicaScheduleOptions {
  database: Pick<Database, 'pool'>;
  /** For logs. */
  name: string;
  /** Stable across releases and hosts: replicas agree on it. */
  lockKey: number;
  intervalMs: number;
  task: () => Promise<void>;
  onError: (error: unknown) => void;
}

/**
 * Runs `task` every `intervalMs` on exactly one replica: the holder of a session-level advisory lock
 * (as libs/eventing's outbox relay leads). The lock lives on a dedicated connection, so a crashed
 * leader frees it with its connection and no lease has to expire; the others try again every
 * interval. The task itself uses ordinary pooled transactions and must be safe to run twice anyway
 * (an HTTP-triggered pass may overlap a timed one).
 */
export class SingleReplicaSchedule {
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: SingleReplicaScheduleOptions) {}

  start(): void {
    if (this.running !== undefined) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Lets a pass in flight finish, then releases the lock and its connection. */
  async stop(): Promise<void> {
    if (this.running === undefined) return;
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.session();
      } catch (error) {
        this.options.onError(error);
      }
      await this.sleep(this.options.intervalMs);
    }
  }

  /** One database session: take the lock if free, then lead until stopped or disconnected. */
  private async session(): Promise<void> {
    const client = await this.options.database.pool.connect();
    let lost: unknown;
    // A dropped connection is an 'error' event; without a listener it would crash the process.
    client.on('error', (error) => {
      lost = error;
      this.wake?.();
    });
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [LIFECYCLE_LOCK_NAMESPACE, this.options.lockKey]);
      if (rows[0]?.locked !== true) return;
      while (!this.stopping) {
        try {
          await this.options.task();
        } catch (error) {
          this.options.onError(error);
        }
        await this.sleep(this.options.intervalMs);
        if (lost !== undefined) throw new Error(`${this.options.name}: lock connection lost`, { cause: lost });
        // Still ours? A connection that broke silently shows here, before another pass runs.
        if (!this.stopping) await client.query('SELECT 1');
      }
    } finally {
      // Destroying the session releases the advisory lock with it.
      client.release(true);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
