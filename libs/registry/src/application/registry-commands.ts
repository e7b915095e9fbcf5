import { Inject, Injectable, Optional } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { alreadyExists, parseRegistryEvent, REGISTRY_EVENT_TYPES as E, type EventMetadata, type RegistryEvent } from '@cairn/contracts';
import { ConcurrencyError, EventStore, isUniqueViolation, uuidv7 } from '@cairn/eventing';
import { Database } from '@cairn/platform';
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

/** Names under which cached alias resolutions become stale after this event (a rename: both). */
function namesWhoseAliasesMove(event: RegistryEvent): string[] {
  switch (event.type) {
    case E.aliasSet:
    case E.aliasDeleted:
    case E.modelVersionDeleted:
    case E.modelVersionStageTransitioned: // the resolution carries the version's stage
    case E.registeredModelDeleted:
      return [event.data.name];
    case E.registeredModelRenamed:
      return [event.data.name, event.data.newName];
    case E.registeredModelCreated:
    case E.registeredModelUpdated:
    case E.registeredModelTagSet:
    case E.registeredModelTagDeleted:
    case E.modelVersionCreated:
    case E.modelVersionUpdated:
    case E.modelVersionTagSet:
    case E.modelVersionTagDeleted:
    case E.promotionDecided:
      return [];
  }
}

/**
 * The write side: load a registered model's stream, decide, append with optimistic concurrency and
 * project into the read model, all in one transaction. Writers of one model also queue on its row
 * lock, so under contention they mostly wait instead of failing; the expected-version check is what
 * guarantees the invariants if anything gets past the lock, and a ConcurrencyError is retried.
 */
@Injectable()
export class RegistryCommands {
  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(EventStore) private readonly eventStore: EventStore,
    @Inject(RegistryStore) private readonly store: RegistryStore,
    @Optional() @Inject(AliasNotifications) private readonly notifications?: AliasNotifications,
  ) {}

  createRegisteredModel(
    name: string,
    description: string | null,
    tags: Array<{ key: string; value: string }>,
    metadata: EventMetadata,
  ): Promise<CommandResult> {
    return this.withRetries(async (tx) => {
      // The unique index on name decides between two concurrent creates; this check gives the message.
      if (await this.store.nameTaken(tx, name)) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
      const modelId = uuidv7();
      return this.decideAndAppend(tx, modelId, initialRegisteredModelState(), 0, { type: 'createRegisteredModel', modelId, name, description, tags }, metadata);
    }, name);
  }

  /**
   * Every other command addresses an existing model by its current name. A command that needs data
   * from outside the aggregate (a promotion's metrics) is built from the state loaded under the lock.
   */
  execute(name: string, command: ModelCommand | ((state: RegisteredModelState) => Promise<ModelCommand>), metadata: EventMetadata): Promise<CommandResult> {
    return this.withRetries(
      async (tx) => {
        const modelId = await this.store.lockModel(tx, name);
        if (modelId === undefined) throw modelNotFound(name);
        if (
          typeof command !== 'function' &&
          command.type === 'renameRegisteredModel' &&
          command.newName !== name &&
          (await this.store.nameTaken(tx, command.newName))
        ) {
          throw alreadyExists(`Registered Model (name=${command.newName}) already exists.`);
        }
        const stream = await this.eventStore.readStream(tx, 'registry', modelId);
        const state = stream.map((e) => parseRegistryEvent(e.type, e.aggregateId, e.data)).reduce(evolve, initialRegisteredModelState());
        const version = stream.at(-1)?.aggregateVersion ?? 0;
        const decided = typeof command === 'function' ? await command(state) : command;
        return this.decideAndAppend(tx, modelId, state, version, decided, metadata);
      },
      typeof command !== 'function' && command.type === 'renameRegisteredModel' ? command.newName : name,
    );
  }

  private async decideAndAppend(
    tx: PoolClient,
    modelId: string,
    state: RegisteredModelState,
    expectedVersion: number,
    command: RegistryCommand,
    metadata: EventMetadata,
  ): Promise<CommandResult> {
    const events = decide({ ...command, now: Date.now() }, state);
    if (events.length > 0) await this.eventStore.append(tx, 'registry', events, metadata, expectedVersion);
    for (const event of events) {
      await projectRegistryEvent(tx, event);
      // Delivered on commit to every process listening (alias caches and watches), this one included.
      for (const name of namesWhoseAliasesMove(event)) await tx.query('SELECT pg_notify($1, $2)', [ALIAS_CHANNEL, JSON.stringify({ modelId, name })]);
    }
    return { modelId, state: events.reduce(evolve, state), events };
  }

  /** `name`: the name a unique violation would be about (the created or renamed-to name). */
  private async withRetries(work: (tx: PoolClient) => Promise<CommandResult>, name: string): Promise<CommandResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.database.transaction(work);
        // This process's caches learn at once (read-your-writes); others through the NOTIFY.
        for (const event of result.events)
          for (const name of namesWhoseAliasesMove(event)) this.notifications?.announceLocally({ modelId: result.modelId, name });
        return result;
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < MAX_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
          continue;
        }
        if (isUniqueViolation(error, 'registered_models_name_unique')) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
        throw error;
      }
    }
  }
}
