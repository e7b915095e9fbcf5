import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { createBlobStore, S3BlobStore, type BlobStore } from '@cairn/blobstore';
import { CONFIG, type CairnConfig } from '@cairn/platform';
import { ArtifactsProxyController } from './api/artifacts-proxy.controller';
import { CairnArtifactsController, MlflowArtifactListController } from './api/cairn-artifacts.controller';
import { RawUploadBody } from './api/raw-upload';
import { UiArtifactsController } from './api/ui-artifacts.controller';
import { LoggedModelArtifactsController } from './api/logged-model-artifacts.controller';
import { ArtifactCommands } from './application/artifact-commands';
import { ArtifactQueries } from './application/artifact-queries';
import { BlobCollector } from './application/blob-collector';
import { ARTIFACT_BLOB_STORE } from './application/ports';
import { RetentionEnforcer } from './application/retention-enforcer';
import { RunCollection } from './application/run-collection';
import { ArtifactRepository } from './infra/artifact-repository';

/**
 * The artifacts bounded context: MLflow's artifact proxy over a content-addressed blob store, plus
 * usage, retention and quotas under /api/2.0/cairn/artifacts. Needs `CONFIG` and `Database`
 * (PlatformModule) and `EventStore` (EventingModule) from its host; its consumers come from
 * `artifactsSubscriptions(app)`.
 */
@Module({
  controllers: [ArtifactsProxyController, UiArtifactsController, CairnArtifactsController, MlflowArtifactListController, LoggedModelArtifactsController],
  providers: [
    { provide: ARTIFACT_BLOB_STORE, useFactory: (config: CairnConfig) => createBlobStore(config), inject: [CONFIG] },
    ArtifactRepository,
    ArtifactCommands,
    ArtifactQueries,
    BlobCollector,
    RunCollection,
    RetentionEnforcer,
    RawUploadBody,
  ],
  exports: [ArtifactRepository, RunCollection, RetentionEnforcer, BlobCollector, ArtifactQueries, ArtifactCommands, ARTIFACT_BLOB_STORE],
})
export class ArtifactsModule implements OnModuleInit {
  constructor(@Inject(ARTIFACT_BLOB_STORE) private readonly blobs: BlobStore) {}

  /** An S3 bucket is created when missing (MinIO in embedded/dev setups); readiness reports failures. */
  async onModuleInit(): Promise<void> {
    if (this.blobs instanceof S3BlobStore) await this.blobs.ensureBucket().catch(() => undefined);
  }
}
