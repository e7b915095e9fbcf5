import { Module } from '@nestjs/common';
import { RegistryQueries } from './application/registry-queries';
import { RegistryStore } from './infra/registry-store';
import { RunSummaryRepository } from './infra/run-summary.repository';

/**
 * The registry's public query service alone, without its routes, consumers or caches: for a
 * read-side gateway hosted by another context's process (MLflow's GraphQL in the tracking-service).
 * It reads the registry's read model, which the registry-service keeps; it needs `Database` and
 * `EventStore` from its host.
 */
@Module({
  providers: [RegistryStore, RunSummaryRepository, RegistryQueries],
  exports: [RegistryQueries],
})
export class RegistryQueriesModule {}
