import type { QueryResultRow } from 'pg';
import type { ContextName, EventMetadata, NewEvent } from '@cairn/contracts';
import type { NamedStatement, TransactionRunner, UnitOfWork } from '@cairn/platform';
import { systemClock, type Clock } from './clock';
import { ConcurrencyError } from './errors';
import type { EventStore } from './event-store';

/** The state a command decides on, as loaded under the aggregate's lock. */
export interface Loaded<State> {
  state: State;
  /**
   * The aggregate's version the state reflects: the append fails with ConcurrencyError unless the
   * aggregate is still there (0 = must not exist yet). Undefined when the lock alone serialises the
   * aggregate's writers: events are then numbered after the stored ones (and may go with the COMMIT).
   */
  version: number | undefined;
}

/**
 * One command, Emmett-style: `load` the aggregate's state in the unit of work (under its lock),
 * `decide` events from it (pure, or reading more through the same unit of work — never the pool),
 * `project` them into the context's own read model. The handler appends them (and queues them in
 * the outbox) in the same transaction.
 */
export interface Command<State, Event extends NewEvent, Result> {
  /** The aggregate the loaded version is checked against (known only once loaded for a new id from a sequence). */
  aggregateId: string | ((state: State) => string);
  load(uow: UnitOfWork, begun: QueryResultRow[]): Promise<Loaded<State>>;
  decide(state: State, uow: UnitOfWork): Event[] | Promise<Event[]>;
  /** `occurredAt`: the events' time, as appended (a projection that stamps rows uses it, so a replay stamps the same). */
  project(uow: UnitOfWork, events: readonly Event[], loaded: Loaded<State>, occurredAt: Date): Promise<void>;
  /** What the caller gets back; runs after the projection, still in the transaction. */
  result(loaded: Loaded<State>, events: readonly Event[], uow: UnitOfWork): Result | Promise<Result>;
  /** A first statement sent with BEGIN (usually the lock `load` reads through `begun`). */
  begin?: NamedStatement;
}

export interface CommandHandlerOptions {
  /** Attempts in all after a ConcurrencyError (reload, decide again). */
  maxAttempts?: number;
  /** Turns a ConcurrencyError that outlived the attempts into the error the API answers with. */
  onConflict?: (error: ConcurrencyError) => unknown;
  clock?: Clock;
}

/**
 * The command-handling loop every context shares: load → decide → append (events + outbox) →
 * project, in one unit of work, retried with jitter on an optimistic-concurrency conflict. With an
 * unversioned load the append and any statements the projection queued go with the COMMIT (one
 * round trip for the whole write).
 */
export class CommandHandler {
  private readonly maxAttempts: number;
  private readonly clock: Clock;

  constructor(
    private readonly database: TransactionRunner,
    private readonly eventStore: EventStore,
    private readonly context: ContextName,
    private readonly options: CommandHandlerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.clock = options.clock ?? systemClock;
  }

  async handle<State, Event extends NewEvent, Result>(
    command: Command<State, Event, Result>,
    metadata: EventMetadata,
  ): Promise<{ result: Result; events: Event[] }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.database.transaction(
          async (uow, begun) => {
            const loaded = await command.load(uow, begun);
            const events = await command.decide(loaded.state, uow);
            if (events.length > 0) {
              const occurredAt = new Date(this.clock.now());
              if (loaded.version === undefined) this.eventStore.appendAtCommit(uow, this.context, events, metadata, occurredAt);
              else {
                const aggregateId = typeof command.aggregateId === 'string' ? command.aggregateId : command.aggregateId(loaded.state);
                await this.eventStore.append(uow, this.context, events, metadata, { [aggregateId]: loaded.version }, occurredAt);
              }
              await command.project(uow, events, loaded, occurredAt);
            }
            return { result: await command.result(loaded, events, uow), events };
          },
          command.begin === undefined ? {} : { begin: command.begin },
        );
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (attempt >= this.maxAttempts) throw this.options.onConflict ? this.options.onConflict(error) : error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }
}
