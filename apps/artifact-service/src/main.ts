import 'reflect-metadata';
import { ArtifactsModule, artifactsReadinessProbes, artifactsReadModelChecks, artifactsSubscriptions } from '@cairn/artifacts';
import { runService } from '@cairn/runtime';

// The artifacts context alone: the mlflow-artifacts proxy over S3/MinIO or disk, retention, collection.
void runService({
  name: 'artifact-service',
  modules: () => [ArtifactsModule],
  relays: ['artifacts'],
  subscriptions: (app) => artifactsSubscriptions(app),
  readModels: (app) => artifactsReadModelChecks(app),
  probes: (runtime) => artifactsReadinessProbes(runtime),
});
