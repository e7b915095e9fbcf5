import type { UnitOfWork } from '@cairn/platform';
import { REGISTRY_EVENT_TYPES as E, type RegistryEvent } from '@cairn/contracts';

/*
 * The inline projection: registry events → read-model rows, applied in the command's transaction
 * (so a client reads its own writes), and replayable to rebuild the tables from registry.events.
 */
const INSERT_MODEL = `
INSERT INTO registry.registered_models (model_id, name, creation_timestamp, last_updated_timestamp, description)
VALUES ($1, $2, $3, $3, $4)`;
const TOUCH_MODEL = `UPDATE registry.registered_models SET last_updated_timestamp = $2 WHERE model_id = $1`;
const RENAME_MODEL = `UPDATE registry.registered_models SET name = $2, last_updated_timestamp = $3 WHERE model_id = $1`;
const RENAME_VERSIONS = `UPDATE registry.model_versions SET name = $2 WHERE model_id = $1`;
const DESCRIBE_MODEL = `UPDATE registry.registered_models SET description = $2, last_updated_timestamp = $3 WHERE model_id = $1`;
const DELETE_MODEL = `DELETE FROM registry.registered_models WHERE model_id = $1`;
const UPSERT_MODEL_TAG = `
INSERT INTO registry.registered_model_tags (model_id, key, value) VALUES ($1, $2, $3)
ON CONFLICT (model_id, key) DO UPDATE SET value = EXCLUDED.value`;
const DELETE_MODEL_TAG = `DELETE FROM registry.registered_model_tags WHERE model_id = $1 AND key = $2`;
const INSERT_VERSION = `
INSERT INTO registry.model_versions
  (model_id, name, version, creation_timestamp, last_updated_timestamp, user_id, description, source, run_id, run_link, logged_model_id)
VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10)`;
const DESCRIBE_VERSION = `UPDATE registry.model_versions SET description = $3, last_updated_timestamp = $4 WHERE model_id = $1 AND version = $2`;
const TOUCH_VERSION = `UPDATE registry.model_versions SET last_updated_timestamp = $3 WHERE model_id = $1 AND version = $2`;
const DELETE_VERSION = `DELETE FROM registry.model_versions WHERE model_id = $1 AND version = $2`;
const SET_STAGE = `UPDATE registry.model_versions SET current_stage = $3, last_updated_timestamp = $4 WHERE model_id = $1 AND version = ANY($2::int[])`;
const UPSERT_VERSION_TAG = `
INSERT INTO registry.model_version_tags (model_id, version, key, value) VALUES ($1, $2, $3, $4)
ON CONFLICT (model_id, version, key) DO UPDATE SET value = EXCLUDED.value`;
const DELETE_VERSION_TAG = `DELETE FROM registry.model_version_tags WHERE model_id = $1 AND version = $2 AND key = $3`;
const UPSERT_ALIAS = `
INSERT INTO registry.registered_model_aliases (model_id, alias, version) VALUES ($1, $2, $3)
ON CONFLICT (model_id, alias) DO UPDATE SET version = EXCLUDED.version`;
const DELETE_ALIAS = `DELETE FROM registry.registered_model_aliases WHERE model_id = $1 AND alias = $2`;

export async function projectRegistryEvent(tx: UnitOfWork, event: RegistryEvent): Promise<void> {
  switch (event.type) {
    case E.registeredModelCreated: {
      const d = event.data;
      await tx.query(INSERT_MODEL, [d.modelId, d.name, d.timestamp, d.description]);
      for (const tag of d.tags) await tx.query(UPSERT_MODEL_TAG, [d.modelId, tag.key, tag.value]);
      return;
    }
    case E.registeredModelRenamed:
      await tx.query(RENAME_MODEL, [event.data.modelId, event.data.newName, event.data.timestamp]);
      await tx.query(RENAME_VERSIONS, [event.data.modelId, event.data.newName]);
      return;
    case E.registeredModelUpdated:
      await tx.query(DESCRIBE_MODEL, [event.data.modelId, event.data.description, event.data.timestamp]);
      return;
    case E.registeredModelDeleted:
      await tx.query(DELETE_MODEL, [event.data.modelId]);
      return;
    case E.registeredModelTagSet:
      await tx.query(UPSERT_MODEL_TAG, [event.data.modelId, event.data.key, event.data.value]);
      await tx.query(TOUCH_MODEL, [event.data.modelId, event.data.timestamp]);
      return;
    case E.registeredModelTagDeleted:
      await tx.query(DELETE_MODEL_TAG, [event.data.modelId, event.data.key]);
      await tx.query(TOUCH_MODEL, [event.data.modelId, event.data.timestamp]);
      return;
    case E.modelVersionCreated: {
      const d = event.data;
      await tx.query(INSERT_VERSION, [
        d.modelId,
        d.name,
        Number(d.version),
        d.timestamp,
        d.userId,
        d.description,
        d.source,
        d.runId,
        d.runLink,
        d.loggedModelId,
      ]);
      for (const tag of d.tags) await tx.query(UPSERT_VERSION_TAG, [d.modelId, Number(d.version), tag.key, tag.value]);
      await tx.query(TOUCH_MODEL, [d.modelId, d.timestamp]);
      return;
    }
    case E.modelVersionUpdated:
      await tx.query(DESCRIBE_VERSION, [event.data.modelId, Number(event.data.version), event.data.description, event.data.timestamp]);
      return;
    case E.modelVersionDeleted:
      // Aliases and tags of the version go with it (ON DELETE CASCADE).
      await tx.query(DELETE_VERSION, [event.data.modelId, Number(event.data.version)]);
      await tx.query(TOUCH_MODEL, [event.data.modelId, event.data.timestamp]);
      return;
    case E.modelVersionStageTransitioned: {
      const d = event.data;
      await tx.query(SET_STAGE, [d.modelId, [Number(d.version)], d.toStage, d.timestamp]);
      if (d.archived.length > 0) await tx.query(SET_STAGE, [d.modelId, d.archived.map((a) => Number(a.version)), 'Archived', d.timestamp]);
      await tx.query(TOUCH_MODEL, [d.modelId, d.timestamp]);
      return;
    }
    case E.modelVersionTagSet:
      await tx.query(UPSERT_VERSION_TAG, [event.data.modelId, Number(event.data.version), event.data.key, event.data.value]);
      await tx.query(TOUCH_VERSION, [event.data.modelId, Number(event.data.version), event.data.timestamp]);
      return;
    case E.modelVersionTagDeleted:
      await tx.query(DELETE_VERSION_TAG, [event.data.modelId, Number(event.data.version), event.data.key]);
      await tx.query(TOUCH_VERSION, [event.data.modelId, Number(event.data.version), event.data.timestamp]);
      return;
    case E.aliasSet:
      await tx.query(UPSERT_ALIAS, [event.data.modelId, event.data.alias, Number(event.data.version)]);
      return;
    case E.aliasDeleted:
      await tx.query(DELETE_ALIAS, [event.data.modelId, event.data.alias]);
      return;
    case E.promotionDecided:
      return;
  }
}
