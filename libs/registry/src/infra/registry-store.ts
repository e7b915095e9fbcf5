import { Inject, Injectable } from '@nestjs/common';
import {
  invalidParameter,
  mayReferenceRunSql,
  modelVersionReferencesRun,
  runsReferencedByModelVersion,
  type ModelStage,
  type ReadScope,
} from '@cairn/contracts';
import { Database, type Sql, type UnitOfWork } from '@cairn/platform';
import { compileSearch, readScopeCondition, SearchSyntaxError, type SearchEntity } from '@cairn/search';
import type { ModelVersionView, Page, RegisteredModelView, SearchInput } from '../application/views';
import { liftPromptClause } from '../domain/prompt-filter';
import { modelVersionsSearch, registeredModelsSearch } from './search-entities';

// Tags and aliases ride along as json aggregates, so one statement returns whole views. A 3.x
// version registered with a logged model and no run shows the logged model's source run, once
// tracking's event has told the registry of it (model_versions holds only what the registry's own
// events say; registry.logged_models what tracking's say).
const VERSION_SELECT = `
SELECT mv.model_id, mv.name, mv.version, mv.creation_timestamp, mv.last_updated_timestamp, mv.user_id, mv.current_stage,
       mv.description, mv.source,
       coalesce(mv.run_id, (SELECT lm.source_run_id FROM registry.logged_models lm WHERE lm.model_id = mv.logged_model_id)) AS run_id,
       mv.run_link, mv.logged_model_id, mv.status,
       coalesce((SELECT json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key)
                 FROM registry.model_version_tags t WHERE t.model_id = mv.model_id AND t.version = mv.version), '[]') AS tags,
       coalesce((SELECT json_agg(a.alias ORDER BY a.alias)
                 FROM registry.registered_model_aliases a WHERE a.model_id = mv.model_id AND a.version = mv.version), '[]') AS aliases`;

const MODEL_SELECT = `
SELECT rm.model_id, rm.name, rm.creation_timestamp, rm.last_updated_timestamp, rm.description,
       coalesce((SELECT json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key)
                 FROM registry.registered_model_tags t WHERE t.model_id = rm.model_id), '[]') AS tags,
       coalesce((SELECT json_agg(json_build_object('alias', a.alias, 'version', a.version::text) ORDER BY a.alias)
                 FROM registry.registered_model_aliases a WHERE a.model_id = rm.model_id), '[]') AS aliases`;

const MODEL_BY_NAME = `${MODEL_SELECT} FROM registry.registered_models rm WHERE rm.name = $1`;
const MODEL_ID_BY_NAME_FOR_UPDATE = `SELECT model_id FROM registry.registered_models WHERE name = $1 FOR UPDATE`;
const NAME_TAKEN = `SELECT 1 FROM registry.registered_models WHERE name = $1`;
const VERSION_BY_NAME = `${VERSION_SELECT} FROM registry.model_versions mv WHERE mv.name = $1 AND mv.version = $2`;
const VERSION_BY_ALIAS = `
${VERSION_SELECT} FROM registry.model_versions mv
JOIN registry.registered_model_aliases al ON al.model_id = mv.model_id AND al.version = mv.version
WHERE mv.name = $1 AND al.alias = $2`;
// get_latest_versions: per stage, the highest version number (not the newest by time).
const LATEST_PER_STAGE = `
SELECT * FROM (
  ${VERSION_SELECT}, row_number() OVER (PARTITION BY mv.model_id, mv.current_stage ORDER BY mv.version DESC) AS rank
  FROM registry.model_versions mv WHERE mv.model_id = ANY($1::text[])
) v WHERE v.rank = 1 ORDER BY v.model_id, array_position(ARRAY['None', 'Staging', 'Production', 'Archived'], v.current_stage)`;
// Live versions that may point at a run (`mayReferenceRunSql`, or through a 3.x logged model the
// run produced); `versionsReferencingRun` keeps those `modelVersionReferencesRun` accepts.
// `visibleModels`: the caller's read scope on `mv.name` (readScopeCondition, from `$2`).
const versionsReferencingRunSql = (visibleModels: string) => `
${VERSION_SELECT}, (SELECT lm.source_run_id FROM registry.logged_models lm WHERE lm.model_id = mv.logged_model_id) AS logged_model_run
FROM registry.model_versions mv
WHERE (${mayReferenceRunSql('mv', '$1')}
       OR mv.logged_model_id IN (SELECT model_id FROM registry.logged_models WHERE source_run_id = $1))
  AND ${visibleModels}
ORDER BY mv.name, mv.version`;
const LOGGED_MODEL = `SELECT model_id, experiment_id, source_run_id, artifact_location FROM registry.logged_models WHERE model_id = $1`;
const MODEL_ID_OF_NAME_IN_EVENTS = `
SELECT aggregate_id FROM registry.events
WHERE data ->> 'name' = $1 OR data ->> 'newName' = $1
ORDER BY global_position DESC LIMIT 1`;

interface VersionRow {
  model_id: string;
  name: string;
  version: number;
  creation_timestamp: string;
  last_updated_timestamp: string;
  user_id: string | null;
  current_stage: ModelStage;
  description: string | null;
  source: string;
  run_id: string | null;
  run_link: string | null;
  logged_model_id: string | null;
  status: string;
  tags: Array<{ key: string; value: string }>;
  aliases: string[];
}

interface ModelRow {
  model_id: string;
  name: string;
  creation_timestamp: string;
  last_updated_timestamp: string;
  description: string | null;
  tags: Array<{ key: string; value: string }>;
  aliases: Array<{ alias: string; version: string }>;
}

export interface LoggedModelRef {
  modelId: string;
  experimentId: string;
  sourceRunId: string | null;
  artifactLocation: string;
}

const toVersion = (r: VersionRow): ModelVersionView => ({
  modelId: r.model_id,
  name: r.name,
  version: String(r.version),
  creationTimestamp: Number(r.creation_timestamp),
  lastUpdatedTimestamp: Number(r.last_updated_timestamp),
  userId: r.user_id,
  currentStage: r.current_stage,
  description: r.description,
  source: r.source,
  runId: r.run_id,
  runLink: r.run_link,
  loggedModelId: r.logged_model_id,
  status: r.status,
  tags: r.tags,
  aliases: r.aliases,
});

const NOT_A_PROMPT_MODEL = `NOT EXISTS (SELECT 1 FROM registry.registered_model_tags p WHERE p.model_id = rm.model_id AND p.key = 'mlflow.prompt.is_prompt' AND lower(p.value) = 'true')`;
const NOT_A_PROMPT_VERSION = `NOT EXISTS (SELECT 1 FROM registry.model_version_tags p WHERE p.model_id = mv.model_id AND p.version = mv.version AND p.key = 'mlflow.prompt.is_prompt' AND lower(p.value) = 'true')`;

function compile(entity: SearchEntity, input: SearchInput, filter: string | undefined, firstParamIndex: number) {
  try {
    return compileSearch(entity, {
      filter,
      orderBy: input.orderBy,
      pageToken: input.pageToken,
      maxResults: input.maxResults,
      firstParamIndex,
      scope: { filter: input.filter ?? null },
    });
  } catch (error) {
    if (error instanceof SearchSyntaxError) throw invalidParameter(error.message);
    throw error;
  }
}

/** The registry's read models (pg, SQL as named constants). */
@Injectable()
export class RegistryStore {
  constructor(@Inject(Database) private readonly database: Database) {}

  /** Locks the model's row for the command's transaction: writers of one model queue up here. */
  async lockModel(tx: UnitOfWork, name: string): Promise<string | undefined> {
    const { rows } = await tx.query<{ model_id: string }>(MODEL_ID_BY_NAME_FOR_UPDATE, [name]);
    return rows[0]?.model_id;
  }

  async nameTaken(tx: Sql, name: string): Promise<boolean> {
    const { rows } = await tx.query(NAME_TAKEN, [name]);
    return rows.length > 0;
  }

  async modelIdOfName(name: string): Promise<string | undefined> {
    const { rows } = await this.database.query<{ model_id: string }>(`SELECT model_id FROM registry.registered_models WHERE name = $1`, [name]);
    if (rows[0]) return rows[0].model_id;
    const fromEvents = await this.database.query<{ aggregate_id: string }>(MODEL_ID_OF_NAME_IN_EVENTS, [name]);
    return fromEvents.rows[0]?.aggregate_id;
  }

  async registeredModel(name: string, sql: Sql = this.database): Promise<RegisteredModelView | undefined> {
    const { rows } = await sql.query<ModelRow>(MODEL_BY_NAME, [name]);
    if (!rows[0]) return undefined;
    return (await this.withLatestVersions(rows, sql))[0];
  }

  async modelVersion(name: string, version: string, sql: Sql = this.database): Promise<ModelVersionView | undefined> {
    const { rows } = await sql.query<VersionRow>(VERSION_BY_NAME, [name, Number(version)]);
    return rows[0] && toVersion(rows[0]);
  }

  async versionByAlias(name: string, alias: string): Promise<ModelVersionView | undefined> {
    const { rows } = await this.database.query<VersionRow>(VERSION_BY_ALIAS, [name, alias]);
    return rows[0] && toVersion(rows[0]);
  }

  async latestVersions(modelId: string): Promise<ModelVersionView[]> {
    const { rows } = await this.database.query<VersionRow>(LATEST_PER_STAGE, [[modelId]]);
    return rows.map(toVersion);
  }

  /** Models the caller may read (`readable`, by name), filtered in the query so pages and tokens count only those. */
  async searchRegisteredModels(input: SearchInput, readable: ReadScope): Promise<Page<RegisteredModelView>> {
    const lifted = liftPromptClause(input.filter);
    const visible = readScopeCondition(readable, 'rm.name', 'text', 1);
    const c = compile(registeredModelsSearch, input, lifted.filter, 1 + visible.values.length);
    const where = [...(lifted.excludePrompts ? [NOT_A_PROMPT_MODEL] : []), visible.sql, c.where].join(' AND ');
    const sql = `${MODEL_SELECT}, ${c.sortKeySelect} FROM registry.registered_models rm ${c.joins} WHERE ${where} ORDER BY ${c.orderBy} LIMIT ${c.limit} OFFSET ${c.offset}`;
    // Planned for the filter's values, as runs/search is (Database.queryWithCustomPlan).
    const { rows } = await this.database.queryWithCustomPlan<ModelRow & Record<string, unknown>>(sql, [...visible.values, ...c.params]);
    const page = c.page(rows);
    return { items: await this.withLatestVersions(page.rows, this.database), nextPageToken: page.nextPageToken };
  }

  /** Versions of the models the caller may read (`readable`, by model name). */
  async searchModelVersions(input: SearchInput, readable: ReadScope): Promise<Page<ModelVersionView>> {
    const lifted = liftPromptClause(input.filter);
    const visible = readScopeCondition(readable, 'mv.name', 'text', 1);
    const c = compile(modelVersionsSearch, input, lifted.filter, 1 + visible.values.length);
    const where = [...(lifted.excludePrompts ? [NOT_A_PROMPT_VERSION] : []), visible.sql, c.where].join(' AND ');
    const sql = `${VERSION_SELECT}, ${c.sortKeySelect} FROM registry.model_versions mv ${c.joins} WHERE ${where} ORDER BY ${c.orderBy} LIMIT ${c.limit} OFFSET ${c.offset}`;
    const { rows } = await this.database.queryWithCustomPlan<VersionRow & Record<string, unknown>>(sql, [...visible.values, ...c.params]);
    const page = c.page(rows);
    return { items: page.rows.map(toVersion), nextPageToken: page.nextPageToken };
  }

  /** Live versions referencing the run, of the models the caller may read (`readable`). */
  async versionsReferencingRun(runId: string, readable: ReadScope): Promise<ModelVersionView[]> {
    const visible = readScopeCondition(readable, 'mv.name', 'text', 2);
    const { rows } = await this.database.query<VersionRow & { logged_model_run: string | null }>(versionsReferencingRunSql(visible.sql), [
      runId,
      ...visible.values,
    ]);
    return rows.filter((r) => modelVersionReferencesRun({ runId: r.run_id, source: r.source }, runId, r.logged_model_run)).map(toVersion);
  }

  /**
   * The run a version comes from: the first of `runsReferencedByModelVersion` (its run_id, else a
   * run its source names, else its logged model's source run).
   */
  async runOfVersion(version: { runId: string | null; source: string; loggedModelId: string | null }, sql: Sql = this.database): Promise<string | null> {
    const named = runsReferencedByModelVersion(version)[0];
    if (named !== undefined || version.loggedModelId === null) return named ?? null;
    return runsReferencedByModelVersion(version, (await this.loggedModel(version.loggedModelId, sql))?.sourceRunId ?? null)[0] ?? null;
  }

  async loggedModel(modelId: string, sql: Sql = this.database): Promise<LoggedModelRef | undefined> {
    const { rows } = await sql.query<{ model_id: string; experiment_id: string; source_run_id: string | null; artifact_location: string }>(LOGGED_MODEL, [
      modelId,
    ]);
    const r = rows[0];
    return r && { modelId: r.model_id, experimentId: r.experiment_id, sourceRunId: r.source_run_id, artifactLocation: r.artifact_location };
  }

  private async withLatestVersions(rows: readonly ModelRow[], sql: Sql): Promise<RegisteredModelView[]> {
    if (rows.length === 0) return [];
    const { rows: latest } = await sql.query<VersionRow>(LATEST_PER_STAGE, [rows.map((r) => r.model_id)]);
    return rows.map((r) => ({
      modelId: r.model_id,
      name: r.name,
      creationTimestamp: Number(r.creation_timestamp),
      lastUpdatedTimestamp: Number(r.last_updated_timestamp),
      description: r.description,
      tags: r.tags,
      aliases: r.aliases,
      latestVersions: latest.filter((v) => v.model_id === r.model_id).map(toVersion),
    }));
  }
}
