import { DatabaseBusyError } from './database';

/**
 * Group commit: writes submitted while a transaction is committing wait, and the next transaction
 * commits all of them at once — one COMMIT, one WAL flush on a durable Postgres, for what arrived
 * in the meantime. A lone write is not delayed: with nothing in flight it starts at once.
 *
 * `commitBatch` receives the items in submission order and returns one result per item. If it
 * throws for a batch of several, each item is committed again alone, so an item that cannot be
 * written fails only its own caller — unless the database was too busy (no connection, a statement
 * timeout): then every item fails with it, rather than multiplying the load that caused it. That
 * includes a COMMIT whose outcome is unknown (`CommitOutcomeUnknownError`, the connection lost after
 * it was sent): the batch may have committed, and committing its items again would record them twice.
 */
export class GroupCommit<Item, Result> {
  private readonly queue: Array<{ item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;

  constructor(
    private readonly commitBatch: (items: Item[]) => Promise<Result[]>,
    private readonly options: { maxBatch: number; maxInFlight: number } = { maxBatch: 64, maxInFlight: 1 },
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async commit(batch: typeof this.queue): Promise<void> {
    try {
      const results = await this.commitBatch(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => entry.resolve(results[i] as Result));
    } catch (error) {
      if (batch.length === 1 || error instanceof DatabaseBusyError) return batch.forEach((entry) => entry.reject(error));
      // One item may have failed the whole transaction: commit each alone, so only it fails.
      await Promise.all(batch.map((entry) => this.commit([entry])));
    }
  }
}
