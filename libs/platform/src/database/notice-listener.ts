import { Client } from 'pg';

/**
 * One dedicated connection LISTENing on a Postgres channel, reconnecting every second after it drops.
 * Writers `pg_notify` inside their transaction (delivered on commit, never for a rollback), so every
 * process sharing the database hears a committed change within milliseconds. `onNotice` is also
 * called with `undefined` after each (re)connection: whatever changed while nobody listened must be
 * re-read. While disconnected, `healthy` is false and readers should trust their caches less.
 */
export class NoticeListener {
  private client: Client | undefined;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  healthy = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly channel: string,
    private readonly onNotice: (payload: string | undefined) => void,
    private readonly warn: (message: string) => void,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  }

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.onNotice(message.payload ?? '');
    });
    const retry = () => {
      this.healthy = false;
      if (this.stopped || this.reconnectTimer) return;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        void this.connect();
      }, 1000);
    };
    client.on('error', retry);
    client.on('end', retry);
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      this.client = client;
      this.healthy = true;
      this.onNotice(undefined);
    } catch (error) {
      this.warn(`cannot LISTEN on ${this.channel}: ${(error as Error).message}`);
      await client.end().catch(() => undefined);
      retry();
    }
  }
}
