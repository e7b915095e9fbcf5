import { Injectable } from '@nestjs/common';
import type { Sql, UnitOfWork } from '@cairn/platform';
import * as q from './sql';

/** `tracking.run_references`: which live registered model versions point at which runs (from registry events). */
@Injectable()
export class RunReferenceRepository {
  /** Records the version's references, holding the runs FOR SHARE so a purge of one of them waits (or went first). */
  async save(tx: UnitOfWork, ref: { registeredModelId: string; name: string; version: string; runIds: string[] }): Promise<void> {
    if (ref.runIds.length === 0) return;
    await tx.query(q.LOCK_RUNS_SHARE, [ref.runIds]);
    await tx.query(q.INSERT_RUN_REFERENCES, [ref.registeredModelId, ref.version, ref.name, ref.runIds]);
  }

  async deleteVersion(tx: UnitOfWork, registeredModelId: string, version: string): Promise<void> {
    await tx.query(q.DELETE_VERSION_REFERENCES, [registeredModelId, version]);
  }

  async deleteModel(tx: UnitOfWork, registeredModelId: string): Promise<void> {
    await tx.query(q.DELETE_MODEL_REFERENCES, [registeredModelId]);
  }

  async renameModel(tx: UnitOfWork, registeredModelId: string, name: string): Promise<void> {
    await tx.query(q.RENAME_MODEL_REFERENCES, [registeredModelId, name]);
  }

  /** A 3.x logged model's source run (tracking owns logged models, so this needs no other context). */
  async sourceRunOfLoggedModel(tx: Sql, modelId: string): Promise<string | null> {
    return (await tx.query<{ source_run_id: string | null }>(q.SELECT_LOGGED_MODEL_SOURCE_RUN, [modelId])).rows[0]?.source_run_id ?? null;
  }
}
