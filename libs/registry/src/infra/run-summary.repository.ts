import { Inject, Injectable } from '@nestjs/common';
import { Database, type Sql, type UnitOfWork } from '@cairn/platform';
import { emptyRunSummary, type RunSummary } from '../domain/run-summary';

const SELECT_SUMMARY = `
SELECT run_id, experiment_id, name, status, lifecycle_stage, start_time, end_time, artifact_uri, params, tags, metrics, datasets
FROM registry.run_summaries WHERE run_id = $1`;

const UPSERT_SUMMARY = `
INSERT INTO registry.run_summaries
  (run_id, experiment_id, name, status, lifecycle_stage, start_time, end_time, artifact_uri, params, tags, metrics, datasets, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (run_id) DO UPDATE SET
  experiment_id = EXCLUDED.experiment_id, name = EXCLUDED.name, status = EXCLUDED.status,
  lifecycle_stage = EXCLUDED.lifecycle_stage, start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time,
  artifact_uri = EXCLUDED.artifact_uri, params = EXCLUDED.params, tags = EXCLUDED.tags,
  metrics = EXCLUDED.metrics, datasets = EXCLUDED.datasets, updated_at = EXCLUDED.updated_at`;

const DELETE_SUMMARY = `DELETE FROM registry.run_summaries WHERE run_id = $1`;

const UPSERT_LOGGED_MODEL = `
INSERT INTO registry.logged_models (model_id, experiment_id, source_run_id, artifact_location, creation_time)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (model_id) DO UPDATE SET experiment_id = EXCLUDED.experiment_id, source_run_id = EXCLUDED.source_run_id,
  artifact_location = EXCLUDED.artifact_location`;

/** A 3.x logged model as the registry needs it: which run produced a `models:/m-…` source, where its files are. */
export interface LoggedModelSummary {
  modelId: string;
  experimentId: string;
  sourceRunId: string | null;
  artifactLocation: string;
  creationTime: number;
}

interface RunSummaryRow {
  run_id: string;
  experiment_id: string;
  name: string;
  status: string;
  lifecycle_stage: 'active' | 'deleted';
  start_time: string;
  end_time: string | null;
  artifact_uri: string;
  params: RunSummary['params'];
  tags: RunSummary['tags'];
  metrics: RunSummary['metrics'];
  datasets: RunSummary['datasets'];
}

function toSummary(row: RunSummaryRow): RunSummary {
  return {
    runId: row.run_id,
    experimentId: row.experiment_id,
    name: row.name,
    status: row.status,
    lifecycleStage: row.lifecycle_stage,
    startTime: Number(row.start_time),
    endTime: row.end_time === null ? null : Number(row.end_time),
    artifactUri: row.artifact_uri,
    params: row.params,
    tags: row.tags,
    metrics: row.metrics,
    datasets: row.datasets,
  };
}

@Injectable()
export class RunSummaryRepository {
  constructor(@Inject(Database) private readonly database: Database) {}

  async find(runId: string, sql: Sql = this.database): Promise<RunSummary | undefined> {
    const { rows } = await sql.query<RunSummaryRow>(SELECT_SUMMARY, [runId]);
    return rows[0] && toSummary(rows[0]);
  }

  /** Inside the consumer's transaction; the row lock serializes two deliveries for one run. */
  async loadForUpdate(tx: UnitOfWork, runId: string): Promise<RunSummary> {
    const { rows } = await tx.query<RunSummaryRow>(`${SELECT_SUMMARY} FOR UPDATE`, [runId]);
    return rows[0] ? toSummary(rows[0]) : emptyRunSummary(runId);
  }

  /** `updatedAt`: when the event that changed it happened (not now: a replay writes the same row). */
  async save(tx: UnitOfWork, s: RunSummary, updatedAt: string): Promise<void> {
    await tx.query(UPSERT_SUMMARY, [
      s.runId,
      s.experimentId,
      s.name,
      s.status,
      s.lifecycleStage,
      s.startTime,
      s.endTime,
      s.artifactUri,
      JSON.stringify(s.params),
      JSON.stringify(s.tags),
      JSON.stringify(s.metrics),
      JSON.stringify(s.datasets),
      updatedAt,
    ]);
  }

  /** Tracking purged the run (GC): its params, metrics and tags go here too. */
  async delete(tx: UnitOfWork, runId: string): Promise<void> {
    await tx.query(DELETE_SUMMARY, [runId]);
  }

  /** From tracking's `logged_model.created`, in the consumer's transaction. */
  async saveLoggedModel(tx: UnitOfWork, m: LoggedModelSummary): Promise<void> {
    await tx.query(UPSERT_LOGGED_MODEL, [m.modelId, m.experimentId, m.sourceRunId, m.artifactLocation, m.creationTime]);
  }
}
