import { Inject, Injectable } from '@nestjs/common';
import { invalidParameter, REGISTRY_EVENT_TYPES as E, type EventMetadata, type ModelStage, type RegistryEventData } from '@cairn/contracts';
import type { UnitOfWork } from '@cairn/platform';
import type { RegisteredModelState } from '../domain/registered-model';
import { RegistryStore } from '../infra/registry-store';
import { RunSummaryRepository } from '../infra/run-summary.repository';
import { RegistryCommands } from './registry-commands';
import { StageTransitions } from './stage-transitions';

export interface PromotionRequest {
  name: string;
  /** A version number, or an alias naming the challenger. */
  challenger: string;
  metric: string;
  direction: 'higher_is_better' | 'lower_is_better';
  minDelta: number;
  target: { stage: ModelStage } | { alias: string };
  archiveExisting: boolean;
}

/**
 * Champion/challenger on the server: the metrics come from the registry's own projection of
 * tracking runs (no call to tracking); the comparison, the decision and the promotion happen in
 * one append, under the model's lock, so a concurrent promotion cannot slip in between.
 */
@Injectable()
export class PromotionService {
  constructor(
    @Inject(RegistryCommands) private readonly commands: RegistryCommands,
    @Inject(RegistryStore) private readonly store: RegistryStore,
    @Inject(RunSummaryRepository) private readonly runs: RunSummaryRepository,
    @Inject(StageTransitions) private readonly transitions: StageTransitions,
  ) {}

  async promote(request: PromotionRequest, metadata: EventMetadata): Promise<RegistryEventData<typeof E.promotionDecided>> {
    const result = await this.commands.execute(
      request.name,
      async (state, uow) => {
        const challenger = /^\d+$/.test(request.challenger) ? String(Number(request.challenger)) : state.aliases[request.challenger];
        if (challenger === undefined) throw invalidParameter(`Registered model alias ${request.challenger} not found.`);
        return {
          type: 'promote',
          challenger,
          metric: request.metric,
          direction: request.direction,
          minDelta: request.minDelta,
          target: request.target,
          archiveExisting: request.archiveExisting,
          metricByVersion: await this.metricByVersion(uow, state, request.metric),
          environments: 'stage' in request.target ? await this.transitions.recordedEnvironments(uow, state, challenger, request.target.stage) : undefined,
        };
      },
      metadata,
    );
    const decision = result.events.find((e) => e.type === E.promotionDecided);
    if (!decision || decision.type !== E.promotionDecided) throw new Error('promotion decided nothing');
    return decision.data;
  }

  /** Read in the promotion's own unit of work: it holds the model's lock, so it must not wait for a second connection. */
  private async metricByVersion(uow: UnitOfWork, state: RegisteredModelState, metric: string): Promise<Record<string, number | null>> {
    const out: Record<string, number | null> = {};
    for (const v of Object.values(state.versions)) {
      const runId = await this.store.runOfVersion(v, uow);
      const value = runId === null ? undefined : (await this.runs.find(runId, uow))?.metrics[metric]?.value;
      out[v.version] = typeof value === 'number' ? value : null;
    }
    return out;
  }
}
