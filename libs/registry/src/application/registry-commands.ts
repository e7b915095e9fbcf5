import { Inject, Injectable, Optional } from '@nestjs/common';
import { alreadyExists, parseRegistryEvent, REGISTRY_EVENT_TYPES as E, type EventMetadata, type RegistryEvent } from '@cairn/contracts';
import { CommandHandler, EventStore, isUniqueViolation, uuidv7, type Loaded } from '@cairn/eventing';
import { Database, type UnitOfWork } from '@cairn/platform';
import { decide, evolve, initialRegisteredModelState, modelNotFound, type RegisteredModelState, type RegistryCommand } from '../domain/registered-model';
import { ALIAS_CHANNEL, AliasNotifications } from '../infra/alias-notifications';
import { projectRegistryEvent } from '../infra/registry-projection';
import { RegistryStore } from '../infra/registry-store';

const MAX_ATTEMPTS = 8;

export type ModelCommand = Exclude<RegistryCommand, { type: 'createRegisteredModel' }>;

export interface CommandResult {
  modelId: string;
  state: RegisteredModelState;
  events: RegistryEvent[];
}

/**
 * Names whose cached reads this event makes stale (a rename: both). Every registry event changes what
 * some read of its model answers (a tag, a description, a stage, an alias, a new latest version), so
 * every event announces its model: the read cache (ModelReadCache) drops that model's answers.
 */
function namesWhoseReadsChange(event: RegistryEvent): string[] {
  return event.type === E.registeredModelRenamed ? [event.data.name, event.data.newName] : [event.data.name];
}

/**
 * The write side: load a registered model's stream, decide, append with optimistic concurrency and
 * project into the read model, all in one unit of work, through the loop every context shares
 * (`CommandHandler`). Writers of one model also queue on its row lock, so under contention they
 * mostly wait instead of failing; the expected-version check is what guarantees the invariants if
 * anything gets past the lock, and a ConcurrencyError is retried.
 */
@Injectable()
export class RegistryCommands {
  private readonly handler: CommandHandler;

  constructor(
    @Inject(Database) database: Database,
    @Inject(EventStore) private readonly eventStore: EventStore,
    @Inject(RegistryStore) private readonly store: RegistryStore,
    @Optional() @Inject(AliasNotifications) private readonly notifications?: AliasNotifications,
  ) {
    this.handler = new CommandHandler(database, eventStore, 'registry', { maxAttempts: MAX_ATTEMPTS });
  }

  createRegisteredModel(
    name: string,
    description: string | null,
    tags: Array<{ key: string; value: string }>,
    metadata: EventMetadata,
  ): Promise<CommandResult> {
    const modelId = uuidv7();
    return this.run(
      modelId,
      async (uow) => {
        // The unique index on name decides between two concurrent creates; this check gives the message.
        if (await this.store.nameTaken(uow, name)) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
        return { state: { modelId, state: initialRegisteredModelState() }, version: 0 };
      },
      async () => ({ type: 'createRegisteredModel', modelId, name, description, tags }),
      metadata,
      name,
    );
  }

  /**
   * Every other command addresses an existing model by its current name. A command that needs data
   * from outside the aggregate (a promotion's metrics) is built from the state loaded under the lock,
   * reading through the same unit of work (never the pool: see UnitOfWork).
   */
  execute(
    name: string,
    command: ModelCommand | ((state: RegisteredModelState, uow: UnitOfWork) => Promise<ModelCommand>),
    metadata: EventMetadata,
  ): Promise<CommandResult> {
    return this.run(
      (loaded) => loaded.modelId,
      async (uow) => {
        const modelId = await this.store.lockModel(uow, name);
        if (modelId === undefined) throw modelNotFound(name);
        if (
          typeof command !== 'function' &&
          command.type === 'renameRegisteredModel' &&
          command.newName !== name &&
          (await this.store.nameTaken(uow, command.newName))
        ) {
          throw alreadyExists(`Registered Model (name=${command.newName}) already exists.`);
        }
        const stream = await this.eventStore.readStream(uow, 'registry', modelId);
        const state = stream.map((e) => parseRegistryEvent(e.type, e.aggregateId, e.data)).reduce(evolve, initialRegisteredModelState());
        return { state: { modelId, state }, version: stream.at(-1)?.aggregateVersion ?? 0 };
      },
      (state, uow) => (typeof command === 'function' ? command(state, uow) : Promise.resolve(command)),
      metadata,
      typeof command !== 'function' && command.type === 'renameRegisteredModel' ? command.newName : name,
    );
  }

  /** `name`: the name a unique violation would be about (the created or renamed-to name). */
  private async run(
    aggregateId: string | ((loaded: { modelId: string }) => string),
    load: (uow: UnitOfWork) => Promise<Loaded<{ modelId: string; state: RegisteredModelState }>>,
    build: (state: RegisteredModelState, uow: UnitOfWork) => Promise<RegistryCommand>,
    metadata: EventMetadata,
    name: string,
  ): Promise<CommandResult> {
    try {
      const { result } = await this.handler.handle<{ modelId: string; state: RegisteredModelState }, RegistryEvent, CommandResult>(
        {
          aggregateId,
          load,
          decide: async ({ state }, uow) => decide({ ...(await build(state, uow)), now: Date.now() }, state),
          project: async (uow, events, { state: { modelId } }) => {
            for (const event of events) {
              await projectRegistryEvent(uow, event);
              // Delivered on commit to every process listening (read caches and alias watches), this one included.
              for (const moved of namesWhoseReadsChange(event))
                await uow.query('SELECT pg_notify($1, $2)', [ALIAS_CHANNEL, JSON.stringify({ modelId, name: moved })]);
            }
          },
          result: ({ state: { modelId, state } }, events) => ({ modelId, state: events.reduce(evolve, state), events: [...events] }),
        },
        metadata,
      );
      // This process's caches learn at once (read-your-writes); others through the NOTIFY.
      for (const event of result.events)
        for (const moved of namesWhoseReadsChange(event)) this.notifications?.announceLocally({ modelId: result.modelId, name: moved });
      return result;
    } catch (error) {
      if (isUniqueViolation(error, 'registered_models_name_unique')) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
      throw error;
    }
  }
}
