import { Inject, Injectable } from '@nestjs/common';
import type { EventMetadata } from '@cairn/contracts';
import { EventStore } from '@cairn/eventing';
import type { UnitOfWork } from '@cairn/platform';
import { checkpointsOf, decideRetention, type RetentionPolicy } from '../domain/retention';
import { ArtifactRepository } from '../infra/artifact-repository';
import { projectThenAppend } from '../infra/artifacts-projection';
import { deletedEvents } from './artifact-events';

/**
 * Applies one retention policy to one run inside the caller's transaction: load the run's
 * checkpoints under the prefix and the policy metric at their steps, decide, delete the rest (index
 * rows, references, events). Called after an upload under the prefix, and when tracking's metrics
 * arrive for a run (a checkpoint kept only because its metric was unknown is decided then).
 */
@Injectable()
export class RetentionEnforcer {
  constructor(
    @Inject(ArtifactRepository) private readonly repository: ArtifactRepository,
    @Inject(EventStore) private readonly events: EventStore,
  ) {}

  async apply(tx: UnitOfWork, policy: RetentionPolicy, runId: string, metadata: EventMetadata): Promise<string[]> {
    await this.repository.lockOwner(tx, runId);
    const files = await this.repository.ownerFilesUnder(tx, runId, policy.prefix);
    const checkpoints = checkpointsOf(policy.prefix, files);
    if (checkpoints.length === 0) return [];
    const steps = checkpoints.map((c) => c.step).filter((s): s is number => s !== null);
    const metrics = policy.metricKey ? await this.repository.runMetricsAt(tx, runId, policy.metricKey, steps) : new Map<number, number>();
    const victims = decideRetention(
      policy,
      checkpoints.map((c) => ({ ...c, metric: c.step === null ? null : (metrics.get(c.step) ?? null) })),
    ).map((name) => `${policy.prefix}${name}`);
    if (victims.length === 0) return [];
    const deleted = await this.repository.ownerFilesAt(tx, runId, victims);
    await projectThenAppend(this.events, this.repository, tx, deletedEvents(deleted, 'retention', policy.policyId), metadata);
    return victims;
  }
}
