import { parseRegistryEvent, REGISTRY_EVENT_TYPES as R, runsReferencedByModelVersion, topicOf, type EventEnvelope } from '@cairn/contracts';
import { NonRetriableError, type Subscription } from '@cairn/eventing';
import type { UnitOfWork } from '@cairn/platform';
import type { RunReferenceRepository } from '../infra/run-reference.repository';

export const REGISTRY_REFERENCES_CONSUMER = 'tracking.registry-references';

/** The registry events that change which runs are referenced; the bus skips every other type (ADR 0011). */
export const REGISTRY_REFERENCE_EVENT_TYPES: ReadonlySet<string> = new Set<string>([
  R.modelVersionCreated,
  R.modelVersionDeleted,
  R.registeredModelRenamed,
  R.registeredModelDeleted,
]);

/**
 * Registry → tracking: which runs live model versions reference (`runsReferencedByModelVersion`;
 * tracking knows its logged models' source runs itself), so garbage collection refuses to purge
 * them. Learnt from events, never by asking the registry; applied in the bus's transaction with
 * the inbox mark, so redelivery changes nothing.
 */
export function registryReferencesSubscription(repository: RunReferenceRepository): Subscription {
  return {
    consumer: REGISTRY_REFERENCES_CONSUMER,
    context: 'tracking',
    topics: [topicOf('registry')],
    eventTypes: REGISTRY_REFERENCE_EVENT_TYPES,
    handler: async (envelope: EventEnvelope, tx: UnitOfWork) => {
      let event;
      try {
        event = parseRegistryEvent(envelope.type, envelope.aggregateId, envelope.data);
      } catch (error) {
        throw new NonRetriableError(`unreadable registry event: ${(error as Error).message}`, { cause: error });
      }
      switch (event.type) {
        case R.modelVersionCreated: {
          const d = event.data;
          const loggedModelRun = d.loggedModelId !== null ? await repository.sourceRunOfLoggedModel(tx, d.loggedModelId) : null;
          const runIds = runsReferencedByModelVersion(d, loggedModelRun).sort();
          await repository.save(tx, { registeredModelId: d.modelId, name: d.name, version: d.version, runIds });
          return;
        }
        case R.modelVersionDeleted:
          await repository.deleteVersion(tx, event.data.modelId, event.data.version);
          return;
        case R.registeredModelDeleted:
          await repository.deleteModel(tx, event.data.modelId);
          return;
        case R.registeredModelRenamed:
          await repository.renameModel(tx, event.data.modelId, event.data.newName);
          return;
        case R.registeredModelCreated:
        case R.registeredModelUpdated:
        case R.registeredModelTagSet:
        case R.registeredModelTagDeleted:
        case R.modelVersionUpdated:
        case R.modelVersionStageTransitioned:
        case R.modelVersionTagSet:
        case R.modelVersionTagDeleted:
        case R.aliasSet:
        case R.aliasDeleted:
        case R.promotionDecided:
          return; // not about which runs are referenced
        default: {
          const unhandled: never = event;
          throw new NonRetriableError(`unhandled registry event ${JSON.stringify(unhandled)}`);
        }
      }
    },
  };
}
