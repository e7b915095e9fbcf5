import { createBlobStore } from '@cairn/blobstore';
import type { CairnConfig, ReadinessProbe } from '@cairn/platform';

export { ArtifactsModule } from './artifacts.module';
export { ArtifactIndexModule } from './artifact-index.module';
export { artifactsSubscriptions, trackingSubscription, registrySubscription, TRACKING_CONSUMER, REGISTRY_CONSUMER } from './application/consumers';
export { ArtifactRepository } from './infra/artifact-repository';
export { ArtifactQueries } from './application/artifact-queries';
export {
  rebuildArtifactsReadModel,
  artifactsReadModelCheck,
  artifactsReadModelChecks,
  ARTIFACTS_CONSUMED_TABLES,
  ARTIFACTS_READ_MODEL_TABLES,
} from './infra/read-model-rebuild';
export { BlobCollector } from './application/blob-collector';
export { RunCollection } from './application/run-collection';
export { RetentionEnforcer } from './application/retention-enforcer';
export { ARTIFACT_BLOB_STORE } from './application/ports';
export { MULTIPART_UNSUPPORTED } from './api/artifacts-proxy.controller';

/** Readiness of the artifact store, for a composition root's `probes(runtime)`. */
export function artifactsReadinessProbes(runtime: { config: CairnConfig }): ReadinessProbe[] {
  const store = createBlobStore(runtime.config);
  return [{ name: 'blob_store', check: () => store.ping() }];
}
