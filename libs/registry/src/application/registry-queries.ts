import { Inject, Injectable } from '@nestjs/common';
import { invalidParameter, notFound, parseRegistryEvent, scopeIncludes, type ModelStage, type ReadScope } from '@cairn/contracts';
import { EventStore } from '@cairn/eventing';
import { Database } from '@cairn/platform';
import { changeOf, snapshotAt, type Change, type Snapshot } from '../domain/history';
import { modelNotFound, versionNotFound } from '../domain/registered-model';
import type { RunSummary } from '../domain/run-summary';
import { loggedModelIdOfSource, runReferenceOfSource } from '../domain/validation';
import { RegistryStore } from '../infra/registry-store';
import type { ModelVersionView, Page, RegisteredModelView, SearchInput } from './views';
import { RunSummaryRepository } from '../infra/run-summary.repository';

export interface HistoryEntry extends Change {
  eventId: string;
  type: string;
  actor: string;
  timestamp: number;
  aggregateVersion: number;
  name: string;
}

export interface Lineage {
  version: ModelVersionView;
  runId: string | null;
  artifactUri: string;
  /** The run's details, when the registry knows the run and the caller may read its experiment. */
  run: RunSummary | undefined;
  /** Whether the registry has heard of the run (it may still be hidden from the caller). */
  runKnown: boolean;
}

/** The read side: MLflow's registry reads from the read model, Cairn's history from the event store. */
@Injectable()
export class RegistryQueries {
  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(EventStore) private readonly eventStore: EventStore,
    @Inject(RegistryStore) private readonly store: RegistryStore,
    @Inject(RunSummaryRepository) private readonly runs: RunSummaryRepository,
  ) {}

  async registeredModel(name: string): Promise<RegisteredModelView> {
    const model = await this.store.registeredModel(name);
    if (!model) throw modelNotFound(name);
    return model;
  }

  async modelVersion(name: string, version: string): Promise<ModelVersionView> {
    const found = await this.store.modelVersion(name, version);
    if (found) return found;
    if (!(await this.store.registeredModel(name))) throw modelNotFound(name);
    throw versionNotFound(name, version);
  }

  findVersionByAlias(name: string, alias: string): Promise<ModelVersionView | undefined> {
    return this.store.versionByAlias(name, alias);
  }

  /** An unknown alias is 400 INVALID_PARAMETER_VALUE, not 404: the mlflow client and its callers branch on it. */
  async versionByAlias(name: string, alias: string): Promise<ModelVersionView> {
    // MLflow 3.18's store resolves the reserved alias `latest` (any case) to the highest version,
    // which is what `load_prompt("prompts:/name@latest")` asks for.
    if (alias.toLowerCase() === 'latest') {
      const highest = (await this.latestVersions(name, [])).reduce<ModelVersionView | undefined>(
        (best, v) => (best === undefined || Number(v.version) > Number(best.version) ? v : best),
        undefined,
      );
      if (highest) return highest;
      throw notFound(`Latest version not found for model ${name}.`);
    }
    const found = await this.store.versionByAlias(name, alias);
    if (found) return found;
    await this.registeredModel(name);
    throw invalidParameter(`Registered model alias ${alias} not found.`);
  }

  /** Highest version per requested stage (all four if none); empty stages are absent. */
  async latestVersions(name: string, stages: readonly ModelStage[]): Promise<ModelVersionView[]> {
    const model = await this.registeredModel(name);
    const latest = await this.store.latestVersions(model.modelId);
    return stages.length === 0 ? latest : latest.filter((v) => stages.includes(v.currentStage));
  }

  /** `readable`: the caller's registered-model scope; unreadable models never reach a page. */
  searchRegisteredModels(input: SearchInput, readable: ReadScope): Promise<Page<RegisteredModelView>> {
    return this.store.searchRegisteredModels(input, readable);
  }

  /** `readable`: the caller's registered-model scope; versions of unreadable models never reach a page. */
  searchModelVersions(input: SearchInput, readable: ReadScope): Promise<Page<ModelVersionView>> {
    return this.store.searchModelVersions(input, readable);
  }

  /** Where the version's files are: a logged model's or run's artifact location when known, else the source itself. */
  async downloadUriOf(version: ModelVersionView): Promise<string> {
    const loggedModelId = version.loggedModelId ?? loggedModelIdOfSource(version.source);
    if (loggedModelId && version.source.startsWith('models:/')) {
      const logged = await this.store.loggedModel(loggedModelId);
      if (logged) return logged.artifactLocation;
    }
    const runRef = runReferenceOfSource(version.source);
    if (runRef) {
      const run = await this.runs.find(runRef.runId);
      if (run?.artifactUri) return runRef.path ? `${run.artifactUri.replace(/\/+$/, '')}/${runRef.path}` : run.artifactUri;
    }
    return version.source;
  }

  /** Referential safety: what a purge of this run would orphan, among the models the caller may read. */
  versionsReferencingRun(runId: string, readable: ReadScope): Promise<ModelVersionView[]> {
    return this.store.versionsReferencingRun(runId, readable);
  }

  /**
   * `readableExperiments`: the caller's experiment scope. Reading a model does not open the
   * experiment its run lives in: the run's params, metrics and tags are left out unless readable.
   */
  async lineage(name: string, version: string, readableExperiments: ReadScope): Promise<Lineage> {
    const mv = await this.modelVersion(name, version);
    const runId = await this.store.runOfVersion(mv);
    const known = runId ? await this.runs.find(runId) : undefined;
    const run = known && scopeIncludes(readableExperiments, known.experimentId) ? known : undefined;
    return { version: mv, runId, artifactUri: await this.downloadUriOf(mv), run, runKnown: known !== undefined };
  }

  /**
   * What the registry knows of a tracking run, from its own projection of tracking events. A run in
   * an experiment the caller may not read gets the same answer as an unknown one.
   */
  async runSummary(runId: string, readableExperiments: ReadScope): Promise<RunSummary> {
    const summary = await this.runs.find(runId);
    if (!summary || !scopeIncludes(readableExperiments, summary.experimentId)) throw notFound(`Run '${runId}' is not known to the registry (yet).`);
    return summary;
  }

  async history(name: string): Promise<HistoryEntry[]> {
    const events = await this.stream(name);
    return events.map(({ envelope, event, occurredAt }) => ({
      eventId: envelope.eventId,
      type: envelope.type,
      actor: envelope.actor,
      timestamp: occurredAt,
      aggregateVersion: envelope.aggregateVersion,
      name: event.data.name,
      ...changeOf(event),
    }));
  }

  async asOf(name: string, asOf: number): Promise<Snapshot> {
    const events = await this.stream(name);
    return snapshotAt(events, asOf);
  }

  private async stream(name: string) {
    const modelId = await this.store.modelIdOfName(name);
    if (modelId === undefined) throw notFound(`Registered Model with name=${name} not found`);
    const envelopes = await this.eventStore.readStream(this.database, 'registry', modelId);
    return envelopes.map((envelope) => ({
      envelope,
      event: parseRegistryEvent(envelope.type, envelope.aggregateId, envelope.data),
      occurredAt: Date.parse(envelope.occurredAt),
    }));
  }
}
