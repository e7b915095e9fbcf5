import { Inject, Injectable } from '@nestjs/common';
import { environmentPackagesOf, type EventMetadata, type ModelStage } from '@cairn/contracts';
import type { UnitOfWork } from '@cairn/platform';
import { productionVersionToCompare, type RecordedEnvironments } from '../domain/environment-drift';
import type { RegisteredModelState } from '../domain/registered-model';
import { RegistryStore } from '../infra/registry-store';
import { RunSummaryRepository } from '../infra/run-summary.repository';
import { RegistryCommands, type CommandResult } from './registry-commands';

/**
 * Stage transitions, with the drift check of ADR 0014: the environments compared are read from the
 * registry's own projection of tracking runs (their `cairn.env.packages.*` tags, parsed as the
 * environment-diff route parses them), so the registry never calls tracking. Nothing is read for a
 * transition to another stage or of a model that watches no package.
 */
@Injectable()
export class StageTransitions {
  constructor(
    @Inject(RegistryCommands) private readonly commands: RegistryCommands,
    @Inject(RegistryStore) private readonly store: RegistryStore,
    @Inject(RunSummaryRepository) private readonly runs: RunSummaryRepository,
  ) {}

  transition(name: string, version: string, stage: ModelStage, archiveExistingVersions: boolean, metadata: EventMetadata): Promise<CommandResult> {
    return this.commands.execute(
      name,
      async (state, uow) => ({
        type: 'transitionStage',
        version,
        stage,
        archiveExistingVersions,
        environments: await this.recordedEnvironments(uow, state, version, stage),
      }),
      metadata,
    );
  }

  /** In the command's own unit of work (it holds the model's lock). */
  async recordedEnvironments(uow: UnitOfWork, state: RegisteredModelState, version: string, toStage: ModelStage): Promise<RecordedEnvironments | undefined> {
    const production = productionVersionToCompare(state, version, toStage);
    if (production === null) return undefined;
    const out: RecordedEnvironments = {};
    for (const v of [production, version]) out[v] = await this.packagesOf(uow, state, v);
    return out;
  }

  private async packagesOf(uow: UnitOfWork, state: RegisteredModelState, version: string): Promise<Record<string, string> | null> {
    const v = state.versions[version];
    const runId = v === undefined ? null : await this.store.runOfVersion(v, uow);
    const summary = runId === null ? undefined : await this.runs.find(runId, uow);
    if (summary === undefined) return null;
    return environmentPackagesOf(Object.entries(summary.tags).map(([key, value]) => ({ key, value }))) ?? null;
  }
}
