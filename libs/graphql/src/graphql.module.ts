import { Module } from '@nestjs/common';
import { ArtifactIndexModule } from '@cairn/artifacts';
import { RegistryQueriesModule } from '@cairn/registry';
import { TrackingModule } from '@cairn/tracking';
import { GraphqlController } from './api/graphql.controller';
import { MlflowGraphql } from './application/mlflow-graphql';

/**
 * MLflow's GraphQL endpoint, a read-side gateway over three contexts: it reads runs and experiments
 * through tracking's `TrackingQueries`, a run's artifact listing through artifacts' `ArtifactQueries`
 * and model versions through registry's `RegistryQueries`, their public query services, and owns no
 * tables. It imports artifacts and registry as query services only (no routes, consumers nor blob
 * store: the listing reads the artifact index), so the process that hosts tracking can host it: the
 * all-in-one server, and the tracking-service in the distributed install (every service shares one
 * Postgres database, where the other contexts' services keep their read models).
 */
@Module({
  imports: [TrackingModule, ArtifactIndexModule, RegistryQueriesModule],
  controllers: [GraphqlController],
  providers: [MlflowGraphql],
})
export class GraphqlModule {}
