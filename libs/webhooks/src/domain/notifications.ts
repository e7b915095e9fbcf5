import { environmentDriftJson, REGISTRY_EVENT_TYPES as E, type RegistryEvent } from '@cairn/contracts';
import type { WebhookEventName } from './webhook-events';

/** What one registry event means to webhook subscribers: the event name and MLflow's payload. */
export interface Notification {
  event: WebhookEventName;
  /** Deliveries to one endpoint are ordered per registered model (its stable id). */
  orderingKey: string;
  data: Record<string, unknown>;
}

const tagMap = (tags: Array<{ key: string; value: string }>) => Object.fromEntries(tags.map((t) => [t.key, t.value]));

/**
 * Registry event → webhook notification, with payloads exactly as MLflow's `deliver_webhook`
 * calls build them (mlflow/webhooks/types.py). Events MLflow sends no webhook for map to null,
 * as do MLflow's own omissions (an alias removed with its version fires nothing in MLflow either).
 */
export function notificationOf(event: RegistryEvent): Notification | null {
  const orderingKey = event.aggregateId;
  switch (event.type) {
    case E.registeredModelCreated:
      return {
        event: 'registered_model.created',
        orderingKey,
        data: { name: event.data.name, tags: tagMap(event.data.tags), description: event.data.description },
      };
    case E.modelVersionCreated:
      return {
        event: 'model_version.created',
        orderingKey,
        data: {
          name: event.data.name,
          version: event.data.version,
          source: event.data.source,
          run_id: event.data.runId,
          tags: tagMap(event.data.tags),
          description: event.data.description,
        },
      };
    case E.modelVersionStageTransitioned:
      return {
        event: 'model_version.stage_transitioned',
        orderingKey,
        data: {
          name: event.data.name,
          version: event.data.version,
          from_stage: event.data.fromStage,
          to_stage: event.data.toStage,
          archive_existing_versions: event.data.archiveExistingVersions,
          // Versions moved to Archived by the same call, so a receiver needs no lookup.
          archived_versions: event.data.archived.map((a) => ({ version: a.version, from_stage: a.fromStage })),
          // Cairn's addition (ADR 0014): present only when watched packages drifted from Production's.
          ...(event.data.environmentDrift ? { environment_drift: environmentDriftJson(event.data.environmentDrift) } : {}),
        },
      };
    case E.modelVersionTagSet:
      return {
        event: 'model_version_tag.set',
        orderingKey,
        data: { name: event.data.name, version: event.data.version, key: event.data.key, value: event.data.value },
      };
    case E.modelVersionTagDeleted:
      return { event: 'model_version_tag.deleted', orderingKey, data: { name: event.data.name, version: event.data.version, key: event.data.key } };
    case E.aliasSet:
      // MLflow fires "created" on every set_registered_model_alias, including a move.
      return { event: 'model_version_alias.created', orderingKey, data: { name: event.data.name, alias: event.data.alias, version: event.data.version } };
    case E.aliasDeleted:
      return { event: 'model_version_alias.deleted', orderingKey, data: { name: event.data.name, alias: event.data.alias } };
    case E.registeredModelRenamed:
    case E.registeredModelUpdated:
    case E.registeredModelDeleted:
    case E.registeredModelTagSet:
    case E.registeredModelTagDeleted:
    case E.modelVersionUpdated:
    case E.modelVersionDeleted:
    case E.promotionDecided:
      return null;
  }
}

/** Example payloads for `test`, as MLflow's `get_example_payload_for_event`. */
export function examplePayload(event: WebhookEventName): Record<string, unknown> {
  switch (event) {
    case 'registered_model.created':
      return { name: 'example_model', tags: { example_key: 'example_value' }, description: 'An example registered model' };
    case 'model_version.created':
      return {
        name: 'example_model',
        version: '1',
        source: 'models:/123',
        run_id: 'abcd1234abcd5678',
        tags: { example_key: 'example_value' },
        description: 'An example model version',
      };
    case 'model_version.stage_transitioned':
      return { name: 'example_model', version: '1', from_stage: 'None', to_stage: 'Staging', archive_existing_versions: false, archived_versions: [] };
    case 'model_version_tag.set':
      return { name: 'example_model', version: '1', key: 'example_key', value: 'example_value' };
    case 'model_version_tag.deleted':
      return { name: 'example_model', version: '1', key: 'example_key' };
    case 'model_version_alias.created':
      return { name: 'example_model', alias: 'example_alias', version: '1' };
    case 'model_version_alias.deleted':
      return { name: 'example_model', alias: 'example_alias' };
  }
}

/**
 * The request body, as MLflow builds it: `{entity, action, timestamp, data}`. The timestamp is the
 * event's time (MLflow uses the send time): fixing it makes every attempt send the same bytes.
 */
export function deliveryBody(event: WebhookEventName, timestamp: string, data: Record<string, unknown>): string {
  const [entity, action] = event.split('.') as [string, string];
  return JSON.stringify({ entity, action, timestamp, data });
}
