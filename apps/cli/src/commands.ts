import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  type ApiToken,
  type CairnClient,
  CairnApiError,
  type ModelStage,
  type TokenScopeWire,
  type ViewType,
  type WebhookAction,
  type WebhookEntity,
  type WebhookEvent,
} from '@cairn/sdk';
import { type FlagSpecs, type ParsedArgs, positionalsOf, UsageError } from './args';
import { ADMIN_COMMANDS, DEAD_LETTER_COMMANDS } from './operations-commands';
import { formatBytes, formatTime, out, PROGRESS_THRESHOLD_BYTES, progressBar, renderPairs, renderTable } from './output';
import { REPRODUCE, RUN, RUNS_DIFF } from './project/commands';

export interface CommandContext {
  client: CairnClient;
  json: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  /** The environment the CLI was started with (tracking credentials, PATH for `cairn run`). */
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** `<run_id>` required, `[path]` optional. */
  args: readonly string[];
  summary: string;
  flags?: FlagSpecs;
  run(ctx: CommandContext, args: Record<string, string | undefined>, flags: ParsedArgs['flags']): Promise<void>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const req = (args: Record<string, string | undefined>, name: string): string => args[name] as string;

function viewType(v: unknown): ViewType | undefined {
  if (v === undefined) return undefined;
  const map: Record<string, ViewType> = { active: 'ACTIVE_ONLY', deleted: 'DELETED_ONLY', all: 'ALL' };
  const view = map[String(v).toLowerCase()];
  if (view === undefined) throw new UsageError(`--view must be active, deleted or all, got '${String(v)}'`);
  return view;
}

const STAGES: readonly ModelStage[] = ['None', 'Staging', 'Production', 'Archived'];
function stage(v: string): ModelStage {
  const found = STAGES.find((s) => s.toLowerCase() === v.toLowerCase());
  if (found === undefined) throw new UsageError(`stage must be one of ${STAGES.join(', ')}, got '${v}'`);
  return found;
}

function webhookEvent(v: string): WebhookEvent {
  const m = /^([A-Za-z_]+)[.:]([A-Za-z_]+)$/.exec(v);
  if (m === null) throw new UsageError(`--event must look like MODEL_VERSION:CREATED, got '${v}'`);
  return { entity: (m[1] as string).toUpperCase() as WebhookEntity, action: (m[2] as string).toUpperCase() as WebhookAction };
}

const positiveInt = (name: string, v: number | undefined): number | undefined => {
  if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new UsageError(`--${name} must be a non-negative integer`);
  return v;
};

const kv = (items: { key: string; value: string }[] | undefined) => (items ?? []).map((t) => [t.key, t.value] as const);

function transferBar(ctx: CommandContext, label: string, size: number | undefined) {
  if (ctx.json || (size !== undefined && size < PROGRESS_THRESHOLD_BYTES)) return undefined;
  return progressBar(label, ctx.stderr);
}

/** A command acting on one id with an empty answer (`{}` in --json). */
function onOne(arg: string, summary: string, act: (client: CairnClient, id: string) => Promise<void>, done: string): Command {
  return {
    args: [arg],
    summary,
    async run(ctx, a) {
      await act(ctx.client, req(a, arg));
      out(ctx, {}, () => `${done} ${req(a, arg)}\n`);
    },
  };
}

/**
 * Finds the experiment a command addresses: by name, as `experiments create` took it, or by
 * `--experiment-id` (as MLflow's CLI spells it). A name never falls back to an id: an experiment
 * named "5" and the experiment with id 5 are different experiments.
 */
async function experimentOf(client: CairnClient, name: string | undefined, id: string | undefined): Promise<{ id: string; name?: string }> {
  if ((name === undefined) === (id === undefined)) throw new UsageError('give an experiment <name> or --experiment-id ID (one of them)');
  if (id !== undefined) return { id };
  const experiment = await client.getExperimentByName(name as string);
  if (experiment === undefined)
    throw new CairnApiError(
      'RESOURCE_DOES_NOT_EXIST',
      `no experiment named '${name as string}' (to address one by id, use --experiment-id)`,
      404,
      'GET /api/2.0/mlflow/experiments/get-by-name',
    );
  return { id: experiment.experiment_id, name: experiment.name };
}

/** `experiments delete|restore <name>` or `--experiment-id ID`, with an empty answer (`{}` in --json). */
function onExperiment(summary: string, act: (client: CairnClient, id: string) => Promise<void>, done: string): Command {
  return {
    args: ['[name]'],
    summary,
    flags: { 'experiment-id': { type: 'string', placeholder: 'ID', description: 'address the experiment by id instead of name' } },
    async run(ctx, a, f) {
      const experiment = await experimentOf(ctx.client, a['name'], str(f['experiment-id']));
      await act(ctx.client, experiment.id);
      out(ctx, {}, () => `${done} experiment ${experiment.name !== undefined ? `'${experiment.name}' (id ${experiment.id})` : experiment.id}\n`);
    },
  };
}

/** The flag a scope is given with, per resource type (and how `tokens list` shows it). */
const SCOPE_FLAGS = { model: 'registered_model', experiment: 'experiment', webhook: 'webhook' } as const;
const SCOPE_PERMISSIONS = ['READ', 'EDIT', 'MANAGE'] as const;

/** `--model NAME:PERMISSION`: split at the last colon, since model names may contain colons. */
function scopeOf(flag: keyof typeof SCOPE_FLAGS, value: string): TokenScopeWire {
  const colon = value.lastIndexOf(':');
  const id = value.slice(0, colon);
  const permission = value.slice(colon + 1).toUpperCase();
  if (colon <= 0 || !(SCOPE_PERMISSIONS as readonly string[]).includes(permission))
    throw new UsageError(`--${flag} must look like ${flag === 'model' ? 'NAME' : 'ID'}:${SCOPE_PERMISSIONS.join('|')} (ID * for all), got '${value}'`);
  return { resource_type: SCOPE_FLAGS[flag], resource_id: id, permission: permission as TokenScopeWire['permission'] };
}

function describeScopes(token: ApiToken): string {
  const flagOf = (type: string) => Object.entries(SCOPE_FLAGS).find(([, t]) => t === type)?.[0] ?? type;
  const scopes = token.scopes.map((s) => `${flagOf(s.resource_type)}:${s.resource_id}:${s.permission}`);
  if (scopes.length === 0) scopes.push("all of the owner's");
  if (token.serving_only) scopes.unshift('serving-only');
  if (token.admin) scopes.unshift('admin');
  return scopes.join(' ');
}

export const COMMANDS: Record<string, Record<string, Command>> = {
  experiments: {
    list: {
      args: [],
      summary: 'list experiments',
      flags: { view: { type: 'string', placeholder: 'active|deleted|all' }, filter: { type: 'string' }, 'max-results': { type: 'number', placeholder: 'N' } },
      async run(ctx, _a, f) {
        const options = { viewType: viewType(f['view']), filter: str(f['filter']) };
        const maxResults = positiveInt('max-results', num(f['max-results']));
        const experiments =
          maxResults !== undefined ? (await ctx.client.searchExperiments({ ...options, maxResults })).items : await ctx.client.listExperiments(options);
        out(ctx, { experiments }, () =>
          renderTable(
            ['ID', 'NAME', 'STAGE', 'ARTIFACT LOCATION'],
            experiments.map((e) => [e.experiment_id, e.name, e.lifecycle_stage, e.artifact_location]),
          ),
        );
      },
    },
    create: {
      args: ['name'],
      summary: 'create an experiment',
      flags: { 'artifact-location': { type: 'string', placeholder: 'URI' } },
      async run(ctx, a, f) {
        const id = await ctx.client.createExperiment(req(a, 'name'), { artifactLocation: str(f['artifact-location']) });
        out(ctx, { experiment_id: id }, () => `${id}\n`);
      },
    },
    delete: onExperiment('delete an experiment by <name> or --experiment-id (restorable until GC purges it)', (c, id) => c.deleteExperiment(id), 'deleted'),
    restore: onExperiment('restore a deleted experiment by <name> or --experiment-id', (c, id) => c.restoreExperiment(id), 'restored'),
  },
  runs: {
    search: {
      args: [],
      summary: 'search runs (all active experiments unless given)',
      flags: {
        'experiment-id': { type: 'string', multiple: true, placeholder: 'ID' },
        'experiment-name': { type: 'string', multiple: true, placeholder: 'NAME' },
        filter: { type: 'string', placeholder: '"metrics.val_auc > 0.85"' },
        'order-by': { type: 'string', multiple: true, placeholder: '"metrics.val_auc DESC"' },
        'max-results': { type: 'number', placeholder: 'N' },
        'page-token': { type: 'string' },
        view: { type: 'string', placeholder: 'active|deleted|all' },
      },
      async run(ctx, _a, f) {
        const ids = strs(f['experiment-id']);
        for (const name of strs(f['experiment-name'])) {
          const experiment = await ctx.client.getExperimentByName(name);
          if (experiment === undefined) throw new UsageError(`no experiment named '${name}'`);
          ids.push(experiment.experiment_id);
        }
        if (ids.length === 0) ids.push(...(await ctx.client.listExperiments()).map((e) => e.experiment_id));
        const page = await ctx.client.searchRuns({
          experimentIds: ids,
          filter: str(f['filter']),
          orderBy: strs(f['order-by']),
          maxResults: positiveInt('max-results', num(f['max-results'])),
          pageToken: str(f['page-token']),
          runViewType: viewType(f['view']),
        });
        out(ctx, { runs: page.items, ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) }, () => {
          const table = renderTable(
            ['RUN ID', 'EXPERIMENT', 'NAME', 'STATUS', 'STARTED', 'METRICS'],
            page.items.map((r) => [
              r.info.run_id,
              r.info.experiment_id,
              r.info.run_name ?? '',
              r.info.status,
              formatTime(r.info.start_time),
              (r.data.metrics ?? []).map((m) => `${m.key}=${m.value}`).join(' '),
            ]),
          );
          return page.nextPageToken ? `${table}more: --page-token ${page.nextPageToken}\n` : table;
        });
      },
    },
    get: {
      args: ['run_id'],
      summary: 'show a run: info, params, latest metrics, tags',
      async run(ctx, a) {
        const run = await ctx.client.getRun(req(a, 'run_id'));
        out(ctx, { run }, () => {
          const i = run.info;
          const sections = [
            renderPairs([
              ['run_id', i.run_id],
              ['name', i.run_name],
              ['experiment_id', i.experiment_id],
              ['status', i.status],
              ['lifecycle_stage', i.lifecycle_stage],
              ['started', formatTime(i.start_time)],
              ['ended', formatTime(i.end_time)],
              ['artifact_uri', i.artifact_uri],
            ]),
          ];
          const params = kv(run.data.params);
          if (params.length > 0) sections.push(`params:\n${renderPairs(params.map(([k, v]) => [`  ${k}`, v]))}`);
          const metrics = run.data.metrics ?? [];
          if (metrics.length > 0) sections.push(`metrics:\n${renderPairs(metrics.map((m) => [`  ${m.key}`, `${m.value} (step ${m.step})`]))}`);
          const tags = kv(run.data.tags);
          if (tags.length > 0) sections.push(`tags:\n${renderPairs(tags.map(([k, v]) => [`  ${k}`, v.length > 100 ? `${v.slice(0, 97)}...` : v]))}`);
          return sections.join('');
        });
      },
    },
    delete: onOne('run_id', 'delete a run (restorable until GC purges it)', (c, id) => c.deleteRun(id), 'deleted run'),
    restore: onOne('run_id', 'restore a deleted run', (c, id) => c.restoreRun(id), 'restored run'),
    diff: RUNS_DIFF,
  },
  metrics: {
    history: {
      args: ['run_id', 'key'],
      summary: 'every point logged for a metric',
      async run(ctx, a) {
        const metrics = await ctx.client.getMetricHistory(req(a, 'run_id'), req(a, 'key'));
        out(ctx, { metrics }, () =>
          renderTable(
            ['STEP', 'TIMESTAMP', 'VALUE'],
            metrics.map((m) => [String(m.step), formatTime(m.timestamp), String(m.value)]),
          ),
        );
      },
    },
  },
  artifacts: {
    ls: {
      args: ['run_id', '[path]'],
      summary: "list a run's artifacts (one directory, or every file with --recursive)",
      flags: { recursive: { type: 'boolean' } },
      async run(ctx, a, f) {
        const runId = req(a, 'run_id');
        const listing =
          f['recursive'] === true ? { files: await ctx.client.listArtifactFiles(runId, a['path']) } : await ctx.client.listArtifacts(runId, a['path']);
        out(ctx, listing, () =>
          renderTable(
            ['PATH', 'SIZE'],
            listing.files.map((file) => [file.is_dir ? `${file.path}/` : file.path, formatBytes(file.file_size)]),
          ),
        );
      },
    },
    get: {
      args: ['run_id', 'path'],
      summary: 'download an artifact file or directory',
      flags: { dest: { type: 'string', placeholder: 'DIR', description: 'where to write (default: current directory)' } },
      async run(ctx, a, f) {
        const runId = req(a, 'run_id');
        const wanted = req(a, 'path').replace(/^\/+|\/+$/g, '');
        const dest = path.resolve(str(f['dest']) ?? '.');
        const run = await ctx.client.getRun(runId);
        const inside = await ctx.client.listArtifactFiles(runId, wanted);
        // A directory lists its files; a file lists nothing, so it is downloaded as itself.
        const files = inside.length > 0 ? inside : [{ path: wanted, is_dir: false }];
        const base = path.posix.dirname(wanted) === '.' ? '' : path.posix.dirname(wanted);
        const downloaded: string[] = [];
        for (const file of files) {
          const target = path.join(dest, ...(base ? file.path.slice(base.length + 1) : file.path).split('/'));
          const bar = transferBar(ctx, file.path, file.file_size);
          await ctx.client.downloadArtifact(runId, file.path, target, { artifactUri: run.info.artifact_uri, onProgress: bar?.update });
          bar?.finish();
          downloaded.push(target);
        }
        out(ctx, { downloaded }, () => downloaded.map((d) => `${d}\n`).join(''));
      },
    },
    put: {
      args: ['run_id', 'local_path'],
      summary: "upload a file or directory to a run's artifacts",
      flags: { 'artifact-path': { type: 'string', placeholder: 'DIR', description: 'directory inside the run artifacts' } },
      async run(ctx, a, f) {
        const runId = req(a, 'run_id');
        const local = req(a, 'local_path');
        if (!existsSync(local)) throw new UsageError(`no such file or directory: ${local}`);
        const artifactPath = str(f['artifact-path']);
        const artifactUri = (await ctx.client.getRun(runId)).info.artifact_uri;
        const bars: { finish: () => void }[] = [];
        const barFor = (file: string) => {
          const bar = transferBar(ctx, path.basename(file), statSync(file).size);
          if (bar) bars.push(bar);
          return bar?.update;
        };
        let uploaded: string[];
        if (statSync(local).isDirectory()) {
          uploaded = await ctx.client.uploadArtifacts(runId, local, artifactPath, {
            artifactUri,
            onProgress: (file) => {
              bars.splice(0).forEach((b) => b.finish());
              return barFor(file);
            },
          });
        } else {
          uploaded = [await ctx.client.uploadArtifact(runId, local, artifactPath, { artifactUri, onProgress: barFor(local) })];
        }
        bars.forEach((b) => b.finish());
        out(ctx, { uploaded }, () => uploaded.map((u) => `${u}\n`).join(''));
      },
    },
  },
  models: {
    list: {
      args: [],
      summary: 'list registered models',
      flags: { filter: { type: 'string' }, 'max-results': { type: 'number', placeholder: 'N' } },
      async run(ctx, _a, f) {
        const maxResults = positiveInt('max-results', num(f['max-results']));
        const options = { filter: str(f['filter']) };
        const models =
          maxResults !== undefined
            ? (await ctx.client.searchRegisteredModels({ ...options, maxResults })).items
            : await ctx.client.all((pageToken) => ctx.client.searchRegisteredModels({ ...options, pageToken }));
        out(ctx, { registered_models: models }, () =>
          renderTable(
            ['NAME', 'LATEST VERSIONS', 'ALIASES', 'UPDATED'],
            models.map((m) => [
              m.name,
              (m.latest_versions ?? []).map((v) => `${v.version}:${v.current_stage}`).join(' '),
              (m.aliases ?? []).map((x) => `${x.alias}=${x.version}`).join(' '),
              formatTime(m.last_updated_timestamp),
            ]),
          ),
        );
      },
    },
    versions: {
      args: ['name'],
      summary: 'list the versions of a model',
      async run(ctx, a) {
        const name = req(a, 'name');
        // The search grammar has no escape inside a quoted string: quote with the kind the name lacks.
        const filter = name.includes("'") ? `name = "${name}"` : `name = '${name}'`;
        const versions = await ctx.client.all((pageToken) => ctx.client.searchModelVersions({ filter, pageToken }));
        out(ctx, { model_versions: versions }, () =>
          renderTable(
            ['VERSION', 'STAGE', 'STATUS', 'ALIASES', 'RUN ID', 'CREATED'],
            versions.map((v) => [v.version, v.current_stage, v.status, (v.aliases ?? []).join(','), v.run_id ?? '', formatTime(v.creation_timestamp)]),
          ),
        );
      },
    },
    transition: {
      args: ['name', 'version', 'stage'],
      summary: 'move a version to None|Staging|Production|Archived',
      flags: { 'archive-existing': { type: 'boolean', description: 'archive the versions already in that stage' } },
      async run(ctx, a, f) {
        const version = await ctx.client.transitionModelVersionStage(req(a, 'name'), req(a, 'version'), stage(req(a, 'stage')), {
          archiveExistingVersions: f['archive-existing'] === true,
        });
        out(ctx, { model_version: version }, () => `${version.name} version ${version.version} is now in ${version.current_stage}\n`);
      },
    },
    alias: {
      args: ['action', 'name', 'alias', '[version]'],
      summary: 'alias set <name> <alias> <version> | get <name> <alias> | delete <name> <alias>',
      async run(ctx, a) {
        const [name, alias, version] = [req(a, 'name'), req(a, 'alias'), a['version']];
        const action = req(a, 'action');
        switch (action) {
          case 'set':
            if (version === undefined) throw new UsageError('missing <version>');
            await ctx.client.setRegisteredModelAlias(name, alias, version);
            out(ctx, {}, () => `${name}@${alias} -> version ${version}\n`);
            return;
          case 'get': {
            if (version !== undefined) throw new UsageError(`unexpected argument '${version}'`);
            const mv = await ctx.client.getModelVersionByAlias(name, alias);
            out(ctx, { model_version: mv }, () =>
              renderPairs([
                ['version', mv.version],
                ['stage', mv.current_stage],
                ['run_id', mv.run_id],
                ['source', mv.source],
              ]),
            );
            return;
          }
          case 'delete':
            if (version !== undefined) throw new UsageError(`unexpected argument '${version}'`);
            await ctx.client.deleteRegisteredModelAlias(name, alias);
            out(ctx, {}, () => `deleted ${name}@${alias}\n`);
            return;
          default:
            throw new UsageError(`alias action must be set, get or delete, got '${action}'`);
        }
      },
    },
    promote: {
      args: ['name', 'challenger'],
      summary: 'champion/challenger: promote <challenger> (version or alias) if it beats the champion on --metric',
      flags: {
        metric: { type: 'string', placeholder: 'KEY' },
        'min-delta': { type: 'number', placeholder: 'X' },
        direction: { type: 'string', placeholder: 'higher_is_better|lower_is_better' },
        stage: { type: 'string', placeholder: 'STAGE', description: 'target stage (default Production)' },
        alias: { type: 'string', placeholder: 'ALIAS', description: 'target alias instead of a stage' },
        archive: { type: 'boolean', description: 'archive the current champion (default; --no-archive keeps it)' },
      },
      async run(ctx, a, f) {
        const metric = str(f['metric']);
        if (metric === undefined) throw new UsageError('--metric is required');
        const direction = str(f['direction']);
        if (direction !== undefined && direction !== 'higher_is_better' && direction !== 'lower_is_better')
          throw new UsageError('--direction must be higher_is_better or lower_is_better');
        if (f['stage'] !== undefined && f['alias'] !== undefined) throw new UsageError('give --stage or --alias, not both');
        const decision = await ctx.client.promote({
          name: req(a, 'name'),
          challenger: req(a, 'challenger'),
          metric,
          minDelta: num(f['min-delta']),
          direction,
          stage: f['stage'] !== undefined ? stage(String(f['stage'])) : undefined,
          alias: str(f['alias']),
          archiveExistingVersions: typeof f['archive'] === 'boolean' ? f['archive'] : undefined,
        });
        out(ctx, decision, () =>
          renderPairs([
            ['promoted', decision.promoted ? 'yes' : 'no'],
            ['reason', decision.reason],
            ['challenger', `version ${decision.challenger_version} (${metric} = ${String(decision.challenger_value)})`],
            [
              'champion',
              decision.champion_version !== undefined ? `version ${decision.champion_version} (${metric} = ${String(decision.champion_value)})` : undefined,
            ],
          ]),
        );
      },
    },
    history: {
      args: ['name'],
      summary: 'every change of a model: who, when, what',
      async run(ctx, a) {
        const history = await ctx.client.getModelHistory(req(a, 'name'));
        out(ctx, history, () =>
          renderTable(
            ['TIME', 'ACTOR', 'CHANGE', 'VERSION'],
            history.changes.map((c) => [c.time, c.actor, c.type, c.version ?? '']),
          ),
        );
      },
    },
    lineage: {
      args: ['name', 'version'],
      summary: 'version -> run -> code commit, data version, params, metrics',
      async run(ctx, a) {
        const l = await ctx.client.getModelVersionLineage(req(a, 'name'), req(a, 'version'));
        out(ctx, l, () =>
          renderPairs([
            ['model', `${l.model_version.name} version ${l.model_version.version} (${l.model_version.current_stage})`],
            ['artifact_uri', l.artifact_uri],
            ['run_id', l.run_id],
            ['run_known', String(l.run_known)],
            ['experiment_id', l.run?.experiment_id],
            ['commit', l.code?.commit],
            ['branch', l.code?.branch],
            ['repo_url', l.code?.repo_url],
            ['dvc_data_hash', l.data?.dvc_data_hash],
            ['params', l.run ? JSON.stringify(l.run.params) : undefined],
            ['metrics', l.run ? JSON.stringify(l.run.metrics) : undefined],
          ]),
        );
      },
    },
  },
  webhooks: {
    create: {
      args: [],
      summary: 'subscribe a URL to registry events',
      flags: {
        name: { type: 'string' },
        url: { type: 'string' },
        event: { type: 'string', multiple: true, placeholder: 'ENTITY:ACTION', description: 'e.g. MODEL_VERSION:CREATED (repeatable)' },
        description: { type: 'string' },
        'secret-file': { type: 'string', placeholder: 'FILE', description: 'file holding the HMAC signing secret (kept out of argv and shell history)' },
      },
      async run(ctx, _a, f) {
        const name = str(f['name']);
        const url = str(f['url']);
        const events = strs(f['event']).map(webhookEvent);
        if (name === undefined || url === undefined || events.length === 0) throw new UsageError('--name, --url and at least one --event are required');
        const secretFile = str(f['secret-file']);
        if (secretFile !== undefined && !existsSync(secretFile)) throw new UsageError(`no such file: ${secretFile}`);
        const secret = secretFile !== undefined ? readFileSync(secretFile, 'utf8').replace(/\r?\n$/, '') : undefined;
        const webhook = await ctx.client.createWebhook({ name, url, events, description: str(f['description']), ...(secret ? { secret } : {}) });
        out(ctx, { webhook }, () => `${webhook.webhook_id}\n`);
      },
    },
    list: {
      args: [],
      summary: 'list webhooks',
      async run(ctx) {
        const webhooks = await ctx.client.all((pageToken) => ctx.client.listWebhooks({ pageToken }));
        out(ctx, { webhooks }, () =>
          renderTable(
            ['ID', 'NAME', 'STATUS', 'URL', 'EVENTS'],
            webhooks.map((w) => [w.webhook_id, w.name, w.status, w.url, w.events.map((e) => `${e.entity}:${e.action}`).join(',')]),
          ),
        );
      },
    },
    delete: onOne('webhook_id', 'delete a webhook (the id that create printed and list shows)', (c, id) => c.deleteWebhook(id), 'deleted webhook'),
    test: {
      args: ['webhook_id'],
      summary: 'send a test event now',
      flags: { event: { type: 'string', placeholder: 'ENTITY:ACTION' } },
      async run(ctx, a, f) {
        const event = str(f['event']);
        const result = await ctx.client.testWebhook(req(a, 'webhook_id'), event !== undefined ? webhookEvent(event) : undefined);
        out(ctx, { result }, () =>
          renderPairs([
            ['success', String(result.success)],
            ['status', result.response_status],
            ['error', result.error_message],
          ]),
        );
      },
    },
    deliveries: {
      args: [],
      summary: 'delivery attempts, newest first',
      flags: { 'webhook-id': { type: 'string', placeholder: 'ID' }, 'max-results': { type: 'number', placeholder: 'N' }, 'page-token': { type: 'string' } },
      async run(ctx, _a, f) {
        const page = await ctx.client.listWebhookDeliveries({
          webhookId: str(f['webhook-id']),
          maxResults: positiveInt('max-results', num(f['max-results'])),
          pageToken: str(f['page-token']),
        });
        out(ctx, { deliveries: page.items, ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) }, () => {
          const table = renderTable(
            ['DELIVERY ID', 'WEBHOOK', 'EVENT', 'STATUS', 'ATTEMPTS', 'HTTP'],
            page.items.map((d) => [
              d.delivery_id,
              d.webhook_id,
              `${d.entity}.${d.action}`,
              d.status,
              String(d.attempts),
              d.last_status_code === undefined ? '' : String(d.last_status_code),
            ]),
          );
          return page.nextPageToken ? `${table}more: --page-token ${page.nextPageToken}\n` : table;
        });
      },
    },
    redeliver: {
      args: ['delivery_id'],
      summary: 'send a past delivery again',
      async run(ctx, a) {
        const delivery = await ctx.client.redeliverWebhookDelivery(req(a, 'delivery_id'));
        out(ctx, { delivery }, () => `${delivery.delivery_id}\n`);
      },
    },
  },
  tokens: {
    create: {
      args: [],
      summary: 'create a scoped, expiring API token (for CI or serving); prints its secret once',
      flags: {
        name: { type: 'string', description: 'what the token is for, e.g. ci-churn' },
        user: { type: 'string', placeholder: 'USER', description: 'owner (default: you; another user needs an admin)' },
        model: { type: 'string', multiple: true, placeholder: 'NAME:PERMISSION', description: 'READ|EDIT|MANAGE on a registered model' },
        experiment: { type: 'string', multiple: true, placeholder: 'ID:PERMISSION', description: 'READ|EDIT|MANAGE on an experiment' },
        webhook: { type: 'string', multiple: true, placeholder: 'ID:PERMISSION', description: "READ on a webhook's deliveries (EDIT: redeliver)" },
        serving: { type: 'boolean', description: 'serving pods: only read models, aliases and their artifacts' },
        admin: { type: 'boolean', description: 'an admin token (admins only)' },
        'expires-in-days': { type: 'number', placeholder: 'D', description: 'default 90, at most 730' },
      },
      async run(ctx, _a, f) {
        const name = str(f['name']);
        if (name === undefined) throw new UsageError('--name is required');
        const scopes = (Object.keys(SCOPE_FLAGS) as (keyof typeof SCOPE_FLAGS)[]).flatMap((flag) => strs(f[flag]).map((v) => scopeOf(flag, v)));
        const days = num(f['expires-in-days']);
        if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new UsageError('--expires-in-days must be a whole number of days, at least 1');
        const created = await ctx.client.createToken({
          name,
          username: str(f['user']),
          scopes,
          servingOnly: f['serving'] === true,
          admin: f['admin'] === true,
          expiresInDays: days,
        });
        out(
          ctx,
          created,
          () =>
            renderPairs([
              ['token_id', created.token.token_id],
              ['user', created.token.username],
              ['scopes', describeScopes(created.token)],
              ['expires', formatTime(created.token.expires_at ?? undefined)],
              ['secret', created.secret],
            ]) + '\nCopy the secret now: it will not be shown again. Clients use it as MLFLOW_TRACKING_TOKEN.\n',
        );
      },
    },
    list: {
      args: [],
      summary: "list tokens (yours; an admin sees everyone's, or one user's with --user)",
      flags: { user: { type: 'string', placeholder: 'USER' } },
      async run(ctx, _a, f) {
        const tokens = await ctx.client.listTokens({ username: str(f['user']) });
        out(ctx, { tokens }, () =>
          renderTable(
            ['ID', 'NAME', 'USER', 'SCOPES', 'EXPIRES', 'LAST USED', 'REVOKED'],
            tokens.map((t) => [
              t.token_id,
              t.name,
              t.username,
              describeScopes(t),
              formatTime(t.expires_at ?? undefined) || 'never',
              formatTime(t.last_used_at ?? undefined) || 'never',
              formatTime(t.revoked_at ?? undefined) || 'no',
            ]),
          ),
        );
      },
    },
    revoke: onOne('token_id', 'revoke a token: refused from its next request on', (c, id) => c.revokeToken(id), 'revoked token'),
  },
  'dead-letters': DEAD_LETTER_COMMANDS,
  admin: ADMIN_COMMANDS,
};

/** `cairn gc`: a top-level command with no subcommand. */
export const GC: Command = {
  args: [],
  summary: 'purge deleted runs and experiments past retention (skips runs used by model versions)',
  flags: { 'dry-run': { type: 'boolean', description: 'report what would be purged' }, 'older-than-days': { type: 'number', placeholder: 'N' } },
  async run(ctx, _a, f) {
    const result = await ctx.client.gc({ dryRun: f['dry-run'] === true, olderThanDays: positiveInt('older-than-days', num(f['older-than-days'])) });
    out(ctx, result, () => {
      const verb = result.dry_run ? 'would purge' : 'purged';
      const lines = [`${verb} ${result.purged_runs.length} run(s), ${result.purged_experiments.length} experiment(s)\n`];
      if (result.skipped.length > 0)
        lines.push(
          `skipped:\n${renderTable(
            ['RUN ID', 'REASON'],
            result.skipped.map((s) => [s.run_id, s.reason]),
          )}`,
        );
      return lines.join('');
    });
  },
};

/** Commands without a subcommand: `cairn gc`, `cairn run`, `cairn reproduce`. */
export const TOP_LEVEL: Record<string, Command> = { gc: GC, run: RUN, reproduce: REPRODUCE };

export function usageOf(path: string, command: Command): string {
  const args = command.args.map((a) => (a.startsWith('[') ? a : `<${a}>`)).join(' ');
  const flags = Object.entries(command.flags ?? {}).map(([name, spec]) => {
    const value = spec.type === 'boolean' ? '' : ` ${spec.placeholder ?? (spec.type === 'number' ? 'N' : 'VALUE')}`;
    return `  ${spec.short !== undefined ? `-${spec.short}, ` : ''}--${name}${value}${spec.multiple ? ' (repeatable)' : ''}${spec.description ? `  ${spec.description}` : ''}`;
  });
  return `usage: cairn ${path}${args ? ` ${args}` : ''} [--json] [--tracking-uri URL]\n  ${command.summary}\n${flags.length ? `${flags.join('\n')}\n` : ''}`;
}

export function bind(command: Command, parsed: ParsedArgs): Record<string, string | undefined> {
  return positionalsOf(parsed, command.args);
}
