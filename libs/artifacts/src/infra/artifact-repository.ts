import { Inject, Injectable } from '@nestjs/common';
import { modelVersionReferencesRun, type ArtifactOwnerKind } from '@cairn/contracts';
import { Database, type NamedStatement, type Sql, type UnitOfWork } from '@cairn/platform';
import type { IndexedFile, ReadableFile, Usage } from '../application/views';
import type { RetentionPolicy } from '../domain/retention';
import * as q from './sql';

interface FileRow {
  path: string;
  owner_kind: ArtifactOwnerKind;
  owner_id: string;
  experiment_id: string | null;
  relative_path: string;
  digest: string;
  size: number;
  storage_key?: string;
}

const toFile = (r: FileRow): IndexedFile => ({
  path: r.path,
  ownerKind: r.owner_kind,
  ownerId: r.owner_id,
  experimentId: r.experiment_id,
  relativePath: r.relative_path,
  digest: r.digest,
  size: Number(r.size),
});

interface PolicyRow {
  policy_id: string;
  experiment_id: string;
  prefix: string;
  keep_last: number | null;
  keep_best: number | null;
  metric_key: string | null;
  metric_goal: 'max' | 'min' | null;
}

const toPolicy = (r: PolicyRow): RetentionPolicy => ({
  policyId: r.policy_id,
  experimentId: r.experiment_id,
  prefix: r.prefix,
  keepLast: r.keep_last,
  keepBest: r.keep_best,
  metricKey: r.metric_key,
  metricGoal: r.metric_goal,
});

/**
 * The artifacts context's read models in Postgres: the content-addressed objects with their
 * reference counts, the path index, policies, quotas and projections of other contexts. Methods
 * taking `tx` run inside the caller's transaction; the others read from the pool.
 */
@Injectable()
export class ArtifactRepository {
  constructor(@Inject(Database) private readonly database: Database) {}

  /** For reads outside a transaction. */
  get pool(): Sql {
    return this.database;
  }

  async lockOwner(tx: UnitOfWork, ownerId: string): Promise<void> {
    await tx.query(q.LOCK_OWNER, [ownerId]);
  }

  /**
   * The locks of several owners as one named statement, for the unit of work to send with BEGIN (no
   * round trip of its own once prepared): a batch of uploads (LOCK_OWNERS). Ids are parameters,
   * whatever they hold.
   */
  lockOwnersStatement(ownerIds: readonly string[]): NamedStatement {
    return { name: 'artifacts.lock-owners', text: q.LOCK_OWNERS, values: [ownerIds] };
  }

  /** As `lockOwnersStatement` without waiting: its one row's `busy` lists the owners whose lock is held elsewhere (TRY_LOCK_OWNERS). */
  tryLockOwnersStatement(ownerIds: readonly string[]): NamedStatement {
    return { name: 'artifacts.try-lock-owners', text: q.TRY_LOCK_OWNERS, values: [ownerIds] };
  }

  /** An upload's reference and file writes, in one statement (see RECORD_UPLOAD); `at` is the event's time. */
  async recordUpload(
    tx: UnitOfWork,
    file: IndexedFile,
    storageKey: string,
    at: string,
  ): Promise<{ created: boolean; previous?: { digest: string; size: number } }> {
    const { rows } = await tx.query<{ created: boolean; previous_digest: string | null; previous_size: number | null }>({
      name: 'artifacts.record-upload',
      text: q.RECORD_UPLOAD,
      values: [file.digest, storageKey, file.size, file.path, file.ownerKind, file.ownerId, file.experimentId, file.relativePath, at],
    });
    const row = one(rows);
    return row.previous_digest === null
      ? { created: row.created }
      : { created: row.created, previous: { digest: row.previous_digest, size: Number(row.previous_size) } };
  }

  /** The experiment's quota (undefined: none) and retention policies, read together before an upload. */
  async uploadRules(experimentId: string): Promise<{ quota: number | undefined; policies: RetentionPolicy[] }> {
    const { rows } = await this.database.query<{ quota: number | null; policies: PolicyRow[] }>({
      name: 'artifacts.upload-rules',
      text: q.SELECT_UPLOAD_RULES,
      values: [experimentId],
    });
    const row = one(rows);
    return { quota: row.quota === null ? undefined : Number(row.quota), policies: row.policies.map(toPolicy) };
  }

  /**
   * Drops one reference per listed digest; contents left with none lose their row and their blob is
   * queued for deletion in the same transaction. Returns the queued storage keys.
   */
  async releaseReferences(tx: UnitOfWork, digests: readonly string[]): Promise<string[]> {
    if (digests.length === 0) return [];
    const { rows } = await tx.query<{ digest: string; ref_count: number }>(q.RELEASE_REFERENCES, [digests]);
    const unreferenced = rows.filter((r) => r.ref_count === 0).map((r) => r.digest);
    if (unreferenced.length === 0) return [];
    const gone = await tx.query<{ storage_key: string }>(q.DELETE_UNREFERENCED, [unreferenced]);
    const keys = gone.rows.map((r) => r.storage_key);
    await this.enqueueGarbage(tx, keys);
    return keys;
  }

  async enqueueGarbage(tx: UnitOfWork, storageKeys: readonly string[]): Promise<void> {
    if (storageKeys.length > 0) await tx.query(q.ENQUEUE_GARBAGE, [storageKeys]);
  }

  async knownStorageKeys(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const { rows } = await this.database.query<{ storage_key: string }>(q.KNOWN_STORAGE_KEYS, [keys]);
    return new Set(rows.map((r) => r.storage_key));
  }

  async claimGarbage(tx: Sql, limit: number): Promise<string[]> {
    const { rows } = await tx.query<{ storage_key: string }>(q.CLAIM_GARBAGE, [limit]);
    return rows.map((r) => r.storage_key);
  }

  async removeGarbage(tx: Sql, storageKeys: readonly string[]): Promise<void> {
    if (storageKeys.length > 0) await tx.query(q.REMOVE_GARBAGE, [storageKeys]);
  }

  async findFile(path: string): Promise<ReadableFile | undefined> {
    const { rows } = await this.database.query<FileRow>(q.SELECT_FILE, [path]);
    return rows[0] && { ...toFile(rows[0]), storageKey: rows[0].storage_key ?? '' };
  }

  async findOwnerFile(ownerId: string, relativePath: string): Promise<ReadableFile | undefined> {
    const { rows } = await this.database.query<FileRow>(q.SELECT_OWNER_FILE, [ownerId, relativePath]);
    return rows[0] && { ...toFile(rows[0]), storageKey: rows[0].storage_key ?? '' };
  }

  async listChildren(directory: string): Promise<Array<{ name: string; isDir: boolean; fileSize: number | null }>> {
    const prefix = directory === '' ? '' : `${directory}/`;
    const { rows } = await this.database.query<{ name: string; is_dir: boolean; file_size: number | null }>(q.LIST_CHILDREN, [
      q.likePrefix(prefix),
      prefix.length,
    ]);
    return rows.filter((r) => r.name !== '').map((r) => ({ name: r.name, isDir: r.is_dir, fileSize: r.file_size === null ? null : Number(r.file_size) }));
  }

  /** The file at `path` or the files below it. */
  async filesUnder(tx: Sql, path: string): Promise<IndexedFile[]> {
    const { rows } = await tx.query<FileRow>(q.SELECT_FILES_UNDER, [path, q.likePrefix(`${path}/`)]);
    return rows.map(toFile);
  }

  async filesOfOwner(tx: Sql, ownerId: string): Promise<IndexedFile[]> {
    const { rows } = await tx.query<FileRow>(q.SELECT_FILES_OF_OWNER, [ownerId]);
    return rows.map(toFile);
  }

  /** The owner's files at or below each of `relativePaths`. */
  async ownerFilesAt(tx: Sql, ownerId: string, relativePaths: readonly string[]): Promise<IndexedFile[]> {
    const { rows } = await tx.query<FileRow>(q.SELECT_OWNER_FILES_AT, [ownerId, relativePaths, relativePaths.map((p) => q.likePrefix(`${p}/`))]);
    return rows.map(toFile);
  }

  /** Removes these paths from the index; returns the digests they pointed at (one per removed file). */
  async removeFiles(tx: UnitOfWork, paths: readonly string[]): Promise<string[]> {
    if (paths.length === 0) return [];
    const { rows } = await tx.query<{ digest: string }>(q.DELETE_FILES, [paths]);
    return rows.map((r) => r.digest);
  }

  async experimentsOfOwner(sql: Sql, ownerId: string): Promise<string[]> {
    const { rows } = await sql.query<{ experiment_id: string }>(q.SELECT_OWNER_EXPERIMENTS, [ownerId]);
    return rows.map((r) => r.experiment_id);
  }

  async ownerFilesUnder(sql: Sql, ownerId: string, prefix: string): Promise<Array<{ relativePath: string; seq: number }>> {
    const { rows } = await sql.query<{ relative_path: string; seq: number }>(q.SELECT_OWNER_FILES_UNDER, [ownerId, q.likePrefix(prefix)]);
    return rows.map((r) => ({ relativePath: r.relative_path, seq: Number(r.seq) }));
  }

  async usageOfRun(runId: string, sql: Sql = this.database): Promise<Usage> {
    return usage(await sql.query(q.USAGE_OF_RUN, [runId]));
  }

  async usageOfExperiment(experimentId: string, sql: Sql = this.database): Promise<Usage> {
    return usage(await sql.query(q.USAGE_OF_EXPERIMENT, [experimentId]));
  }

  async quotaOf(experimentId: string, sql: Sql = this.database): Promise<number | undefined> {
    const { rows } = await sql.query<{ max_bytes: number }>(q.SELECT_QUOTA, [experimentId]);
    return rows[0] ? Number(rows[0].max_bytes) : undefined;
  }

  async setQuota(tx: UnitOfWork, experimentId: string, maxBytes: number | null, at: string): Promise<void> {
    if (maxBytes === null) await tx.query(q.DELETE_QUOTA, [experimentId]);
    else await tx.query(q.UPSERT_QUOTA, [experimentId, maxBytes, at]);
  }

  async policiesOf(experimentId: string, sql: Sql = this.database): Promise<RetentionPolicy[]> {
    const { rows } = await sql.query<PolicyRow>(q.SELECT_POLICIES, [experimentId]);
    return rows.map(toPolicy);
  }

  async policy(policyId: string, sql: Sql = this.database): Promise<RetentionPolicy | undefined> {
    const { rows } = await sql.query<PolicyRow>(q.SELECT_POLICY, [policyId]);
    return rows[0] && toPolicy(rows[0]);
  }

  /** Creates or replaces the policy of (experiment, prefix); returns the id it keeps. */
  async upsertPolicy(tx: UnitOfWork, policy: RetentionPolicy, at: string): Promise<string> {
    const { rows } = await tx.query<{ policy_id: string }>(q.UPSERT_POLICY, [
      policy.policyId,
      policy.experimentId,
      policy.prefix,
      policy.keepLast,
      policy.keepBest,
      policy.metricKey,
      policy.metricGoal,
      at,
    ]);
    return one(rows).policy_id;
  }

  async deletePolicy(tx: Sql, policyId: string): Promise<void> {
    await tx.query(q.DELETE_POLICY, [policyId]);
  }

  async policyMetricKeys(sql: Sql): Promise<Set<string>> {
    const { rows } = await sql.query<{ metric_key: string }>(q.SELECT_POLICY_METRIC_KEYS);
    return new Set(rows.map((r) => r.metric_key));
  }

  async saveRunMetrics(tx: UnitOfWork, runId: string, points: ReadonlyArray<{ key: string; step: number; value: number; timestamp: number }>): Promise<void> {
    if (points.length === 0) return;
    await tx.query(q.UPSERT_RUN_METRICS, [
      runId,
      points.map((p) => p.key),
      points.map((p) => p.step),
      points.map((p) => p.value),
      points.map((p) => p.timestamp),
    ]);
  }

  async runMetricsAt(sql: Sql, runId: string, key: string, steps: readonly number[]): Promise<Map<number, number>> {
    if (steps.length === 0) return new Map();
    const { rows } = await sql.query<{ step: number; value: number }>(q.SELECT_RUN_METRICS_AT, [runId, key, steps]);
    return new Map(rows.map((r) => [Number(r.step), Number(r.value)]));
  }

  async saveModelVersionRef(
    tx: UnitOfWork,
    ref: { modelId: string; version: string; name: string; source: string; runId: string | null; loggedModelId: string | null },
  ): Promise<void> {
    await tx.query(q.UPSERT_MODEL_VERSION_REF, [ref.modelId, ref.version, ref.name, ref.source, ref.runId, ref.loggedModelId]);
  }

  async deleteModelVersionRef(tx: UnitOfWork, modelId: string, version: string): Promise<Array<{ runId: string | null; source: string }>> {
    const { rows } = await tx.query<{ run_id: string | null; source: string }>(q.DELETE_MODEL_VERSION_REF, [modelId, version]);
    return rows.map((r) => ({ runId: r.run_id, source: r.source }));
  }

  async deleteModelRefs(tx: UnitOfWork, modelId: string): Promise<Array<{ runId: string | null; source: string }>> {
    const { rows } = await tx.query<{ run_id: string | null; source: string }>(q.DELETE_MODEL_REFS, [modelId]);
    return rows.map((r) => ({ runId: r.run_id, source: r.source }));
  }

  async renameModelRefs(tx: UnitOfWork, modelId: string, newName: string): Promise<void> {
    await tx.query(q.RENAME_MODEL_REFS, [modelId, newName]);
  }

  async modelVersionSource(name: string, version: string): Promise<string | undefined> {
    const { rows } = await this.database.query<{ source: string }>(q.SELECT_MODEL_VERSION_REF, [name, version]);
    return rows[0]?.source;
  }

  async referencesToRun(sql: Sql, runId: string): Promise<Array<{ modelId: string; name: string; version: string }>> {
    const { rows } = await sql.query<{ model_id: string; name: string; version: string; run_id: string | null; source: string }>(q.SELECT_REFERENCES_TO_RUN, [
      runId,
    ]);
    return rows
      .filter((r) => modelVersionReferencesRun({ runId: r.run_id, source: r.source }, runId))
      .map((r) => ({ modelId: r.model_id, name: r.name, version: r.version }));
  }

  async purgeStateForUpdate(tx: Sql, runId: string): Promise<'deferred' | 'collected' | null> {
    const { rows } = await tx.query<{ state: 'deferred' | 'collected' }>(q.SELECT_PURGED_RUN, [runId]);
    return rows[0]?.state ?? null;
  }

  async setPurgeState(tx: UnitOfWork, runId: string, state: 'deferred' | 'collected', at: string): Promise<void> {
    await tx.query(q.UPSERT_PURGED_RUN, [runId, state, at]);
  }
}

/** The single row a statement always returns (INSERT … RETURNING, aggregates). */
function one<T>(rows: T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('expected one row');
  return row;
}

function usage(result: { rows: Array<Record<string, unknown>> }): Usage {
  const row = one(result.rows);
  return { files: Number(row['files']), logicalBytes: Number(row['logical_bytes']), storedBytes: Number(row['stored_bytes']) };
}
