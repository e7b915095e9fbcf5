import { Module } from '@nestjs/common';
import { ArtifactsModule } from '@cairn/artifacts';
import { RegistryModule } from '@cairn/registry';
import { TrackingModule } from '@cairn/tracking';
import { GraphqlController } from './api/graphql.controller';
import { MlflowGraphql } from './application/mlflow-graphql';

/**
 * MLflow's GraphQL endpoint, a read-side gateway over two contexts: it reads runs and experiments
 * through tracking's `TrackingQueries`, a run's artifacts through artifacts' `ArtifactQueries` and
 * model versions through registry's `RegistryQueries`, their public query services, and owns no
 * tables. Served by the all-in-one server, which hosts all three.
 */
@Module({
  imports: [TrackingModule, ArtifactsModule, RegistryModule],
  controllers: [GraphqlController],
  providers: [MlflowGraphql],
})
export class GraphqlModule {}
