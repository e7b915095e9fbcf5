import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  buildSchema,
  execute,
  GraphQLError,
  Kind,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLScalarType,
  type GraphQLSchema,
} from 'graphql';
import {
  CairnError,
  canonicalExperimentId,
  permissionAllows,
  scopeIncludes,
  type AccessContext,
  type ReadScope,
  type ResourceType,
  type GraphqlResponse,
} from '@cairn/contracts';
import { ArtifactQueries } from '@cairn/artifacts';
import { modelVersionJson, RegistryQueries } from '@cairn/registry';
import { experimentJson, metricJson, runJson, TrackingQueries, validateBulkInterval, type ExperimentView } from '@cairn/tracking';
import { MLFLOW_GRAPHQL_SDL } from '../domain/mlflow-schema.sdl';
import { LongStringError, longStringScalar, protoFieldResolver } from '../domain/proto-fields';
import { MAX_DOCUMENT_TOKENS, queryLimitError } from '../domain/query-limits';

/** A GraphQL request as MLflow reads it: `query`, `variables`, `operationName`. */
export interface GraphqlRequest {
  query: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** Per request: the caller's access, with its read scopes computed once however many fields ask. */
interface RequestContext {
  access: AccessContext;
  readable(type: ResourceType): Promise<ReadScope>;
  mayRead(type: ResourceType, id: string): Promise<boolean>;
  /** An experiment's wire JSON, read once per request however many runs of it are returned. */
  experiment(experimentId: string): Promise<Record<string, unknown>>;
}

type Input = Record<string, unknown> | null | undefined;
type Resolver = GraphQLFieldResolver<unknown, RequestContext, { input?: Input; inputString?: string }>;

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const int = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** MLflow's experiments all live in its `default` workspace; Cairn has no others. */
const experimentWire = (experiment: ExperimentView) => ({ ...experimentJson(experiment), workspace: 'default' });

/**
 * A page of `mlflowSearchRuns`: each run may resolve its experiment and model versions, so a page
 * costs queries per run. MLflow's own default page; a client asking for more gets a page token.
 */
const GRAPHQL_RUNS_PAGE = 1000;

/**
 * MLflow's `/graphql` endpoint over Cairn's read side: the schema MLflow 3.18 publishes (its UI's
 * experiment header, run page, metric charts; runs, experiments, artifacts, model versions,
 * datasets), resolved through the public query services of tracking, artifacts and registry. Each field that returns an experiment,
 * a run or a model version checks READ on it as MLflow's GraphQL authorization middleware does: a
 * resource the caller may not read resolves to null (no error, so nothing says whether it exists);
 * searches see only readable experiments and models, filtered in SQL.
 */
@Injectable()
export class MlflowGraphql {
  private readonly logger = new Logger('graphql');
  private readonly schema: GraphQLSchema;

  constructor(
    @Inject(TrackingQueries) private readonly tracking: TrackingQueries,
    @Inject(RegistryQueries) private readonly registry: RegistryQueries,
    @Inject(ArtifactQueries) private readonly artifacts: ArtifactQueries,
  ) {
    this.schema = buildSchema(MLFLOW_GRAPHQL_SDL);
    Object.assign(this.schema.getType('LongString') as GraphQLScalarType, longStringScalar);
    const searchRuns: Resolver = (_s, { input }, context) => this.searchRuns(input, context);
    this.resolve('Query', {
      mlflowGetExperiment: (_s, { input }, context) => this.getExperiment(input, context),
      mlflowGetRun: (_s, { input }, context) => this.getRun(input, context),
      mlflowSearchRuns: searchRuns,
      mlflowGetMetricHistoryBulkInterval: (_s, { input }, context) => this.metricHistoryBulkInterval(input, context),
      mlflowSearchModelVersions: (_s, { input }, context) => this.searchModelVersions(input, context),
      mlflowListArtifacts: (_s, { input }, context) => this.listArtifacts(input, context),
      test: (_s, { inputString }) => ({ output: inputString }),
    });
    this.resolve('Mutation', {
      mlflowSearchRuns: searchRuns,
      mlflowSearchDatasets: (_s, { input }, context) => this.searchDatasets(input, context),
      testMutation: (_s, { inputString }) => ({ output: inputString }),
    });
    this.resolve('MlflowRunExtension', {
      // The run's own experiment: reading the run already needed READ on it.
      experiment: (run, _args, context) => context.experiment(wireRun(run).info.experiment_id),
      modelVersions: async (run, _args, context) =>
        (await this.registry.versionsReferencingRun(wireRun(run).info.run_id, await context.readable('registered_model'))).map(modelVersionJson),
    });
  }

  private resolve(typeName: string, resolvers: Record<string, Resolver>): void {
    const fields = (this.schema.getType(typeName) as GraphQLObjectType).getFields();
    for (const [name, resolver] of Object.entries(resolvers)) {
      const field = fields[name];
      if (!field) throw new Error(`${typeName}.${name} is not in MLflow's GraphQL schema`);
      field.resolve = resolver as GraphQLFieldResolver<unknown, unknown>;
    }
  }

  /** Parse, bound, validate and run one request; failures become messages in `errors`, as MLflow answers. */
  async execute(request: GraphqlRequest, access: AccessContext, options: { queriesOnly?: boolean } = {}): Promise<GraphqlResponse> {
    if (typeof request.query !== 'string' || request.query === '') return failed('Must provide query string.');
    let document: DocumentNode;
    try {
      document = parse(request.query, { maxTokens: MAX_DOCUMENT_TOKENS });
    } catch (error) {
      return failed(error instanceof GraphQLError ? error.message : 'Invalid query.');
    }
    if (options.queriesOnly && document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation !== OperationTypeNode.QUERY)) {
      return failed('Only queries can be sent with GET; send mutations with POST.');
    }
    const tooLarge = queryLimitError(document);
    if (tooLarge) return failed(tooLarge.message);
    const invalid = validate(this.schema, document, specifiedRules);
    if (invalid.length > 0) return { data: null, errors: invalid.map((e) => e.message) };
    const variables = request.variables !== null && typeof request.variables === 'object' ? (request.variables as Record<string, unknown>) : undefined;
    const result = await execute({
      schema: this.schema,
      document,
      variableValues: variables,
      operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
      contextValue: this.requestContext(access),
      fieldResolver: protoFieldResolver,
    });
    return {
      data: (result.data as Record<string, unknown> | null | undefined) ?? null,
      errors: result.errors ? result.errors.map((e) => this.messageOf(e)) : null,
    };
  }

  /** Cairn's own errors say what was wrong with the request; anything else is logged, not shown. */
  private messageOf(error: GraphQLError): string {
    const cause = error.originalError;
    if (cause === undefined || cause instanceof CairnError || cause instanceof GraphQLError || cause instanceof LongStringError) return error.message;
    this.logger.error(`GraphQL ${error.path?.join('.') ?? ''}: ${cause.stack ?? cause.message}`);
    return 'Internal error';
  }

  private requestContext(access: AccessContext): RequestContext {
    return {
      access,
      readable: memoised((type) => access.readable(type as ResourceType)),
      mayRead: async (type, id) => permissionAllows(await access.permissionOn(type, type === 'experiment' ? canonicalExperimentId(id) : id), 'READ'),
      experiment: memoised(async (id) => experimentWire(await this.tracking.experiment(id))),
    };
  }

  // ---- root fields -----------------------------------------------------------------------------

  private async getExperiment(input: Input, context: RequestContext) {
    const experimentId = str(input?.['experimentId']) ?? '';
    if (!(await context.mayRead('experiment', experimentId))) return null;
    return { experiment: experimentWire(await this.tracking.experiment(experimentId)) };
  }

  private async getRun(input: Input, context: RequestContext) {
    const runId = str(input?.['runId']) ?? str(input?.['runUuid']) ?? '';
    const run = await this.tracking.run(runId);
    if (!(await context.mayRead('experiment', run.experimentId))) return null;
    return { run: runJson(run) };
  }

  /** A run's artifacts at `path`, as `artifacts/list` answers (no pages: MLflow's token stays ""). */
  private async listArtifacts(input: Input, context: RequestContext) {
    const runId = str(input?.['runId']) ?? str(input?.['runUuid']) ?? '';
    const run = await this.tracking.run(runId);
    if (!(await context.mayRead('experiment', run.experimentId))) return null;
    // Only the files under the run's own experiment: that is the experiment READ was checked on.
    const listing = await this.artifacts.listRun(runId, str(input?.['path']), run.experimentId);
    return { root_uri: listing.rootUri ?? run.artifactUri, files: listing.files };
  }

  /** Only the requested experiments the caller may read; none of them readable: null, as MLflow. */
  private async searchRuns(input: Input, context: RequestContext) {
    const requested = strings(input?.['experimentIds']);
    const readable = await readableOnly(requested, context);
    if (requested.length > 0 && readable.length === 0) return null;
    const page = await this.tracking.searchRuns(
      {
        experimentIds: readable,
        filter: str(input?.['filter']),
        viewType: (str(input?.['runViewType']) as 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL' | undefined) ?? 'ACTIVE_ONLY',
        maxResults: Math.min(int(input?.['maxResults']) ?? GRAPHQL_RUNS_PAGE, GRAPHQL_RUNS_PAGE),
        orderBy: strings(input?.['orderBy']),
        pageToken: str(input?.['pageToken']),
      },
      await context.readable('experiment'),
    );
    return { runs: page.items.map(runJson), next_page_token: page.nextPageToken };
  }

  private async searchDatasets(input: Input, context: RequestContext) {
    const requested = strings(input?.['experimentIds']);
    const readable = await readableOnly(requested, context);
    if (requested.length > 0 && readable.length === 0) return null;
    const summaries = await this.tracking.datasetSummaries(readable, await context.readable('experiment'));
    return {
      dataset_summaries: summaries.map((d) => ({ experiment_id: d.experimentId, name: d.name, digest: d.digest, context: d.context ?? undefined })),
    };
  }

  /** Every run named must be readable, or the field is null (MLflow checks each run the same way). */
  private async metricHistoryBulkInterval(input: Input, context: RequestContext) {
    const runIds = strings(input?.['runIds']);
    const startStep = int(input?.['startStep']);
    const endStep = int(input?.['endStep']);
    const maxResults = validateBulkInterval({ runIds, startStep, endStep, maxResults: int(input?.['maxResults']) });
    for (const runId of new Set(runIds)) {
      if (!(await context.mayRead('experiment', (await this.tracking.run(runId)).experimentId))) return null;
    }
    const metrics = await this.tracking.metricHistoryBulkInterval({
      runIds,
      key: str(input?.['metricKey']) ?? '',
      maxResults,
      ...(startStep !== undefined && endStep !== undefined ? { startStep, endStep } : {}),
    });
    return { metrics: metrics.map(metricJson) };
  }

  private async searchModelVersions(input: Input, context: RequestContext) {
    const page = await this.registry.searchModelVersions(
      { filter: str(input?.['filter']), orderBy: strings(input?.['orderBy']), pageToken: str(input?.['pageToken']), maxResults: int(input?.['maxResults']) },
      await context.readable('registered_model'),
    );
    return { model_versions: page.items.map(modelVersionJson), next_page_token: page.nextPageToken };
  }
}

/** What `runJson` returns, as far as the run's nested resolvers read it. */
const wireRun = (run: unknown) => run as { info: { run_id: string; experiment_id: string } };

const failed = (message: string): GraphqlResponse => ({ data: null, errors: [message] });

/** `load(key)` once per key. */
function memoised<T>(load: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const loaded = new Map<string, Promise<T>>();
  return (key) => {
    let value = loaded.get(key);
    if (!value) loaded.set(key, (value = load(key)));
    return value;
  };
}

/** One read scope for the whole list, however long it is (a search may name many experiments). */
async function readableOnly(experimentIds: string[], context: RequestContext): Promise<string[]> {
  const scope = await context.readable('experiment');
  return experimentIds.filter((id) => scopeIncludes(scope, canonicalExperimentId(id)));
}
