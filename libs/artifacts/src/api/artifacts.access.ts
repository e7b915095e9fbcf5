import { ADMIN_ONLY, requires, type AccessTable } from '@cairn/contracts';
import type { ArtifactsProxyController } from './artifacts-proxy.controller';
import type { CairnArtifactsController, MlflowArtifactListController } from './cairn-artifacts.controller';
import {
  loggedModelArtifactFile,
  loggedModelListing,
  modelVersionArtifact,
  proxyListingReaders,
  proxyPathExperiment,
  proxyPathReaders,
  runArtifactFile,
  runListing,
  usageScope,
} from './locators';
import type { UiArtifactsController } from './ui-artifacts.controller';
import type { LoggedModelArtifactsController } from './logged-model-artifacts.controller';

const ARTIFACTS = '/mlflow-artifacts/artifacts/';
/** As the multipart handler finds its marker. */
const multipartMarker = (url: string) => /\/mpu\/(?:create|complete|abort)\//.exec(url)?.[0] ?? '/mpu/';

/**
 * Artifacts inherit their experiment's permission (the first segment of the proxied path). Reads
 * are also open to readers of a registered model with a version made from those files, so serving
 * pods download their model with READ on the model alone.
 */
export const ARTIFACTS_PROXY_ACCESS: AccessTable<ArtifactsProxyController> = {
  upload: requires('EDIT', proxyPathExperiment(ARTIFACTS)),
  list: requires('READ', proxyListingReaders, { anyOf: true, serving: true }),
  download: requires('READ', proxyPathReaders(ARTIFACTS), { anyOf: true, serving: true }),
  delete: requires('EDIT', proxyPathExperiment(ARTIFACTS)),
  multipart: requires('EDIT', proxyPathExperiment(multipartMarker)),
  // A presigned *download* URL (answered 501; the client then uses the proxied GET).
  presigned: requires('READ', proxyPathReaders('/presigned/'), { anyOf: true, serving: true }),
};

export const MLFLOW_ARTIFACT_LIST_ACCESS: AccessTable<MlflowArtifactListController> = {
  list: requires('READ', runListing),
};

/** Usage is per run or experiment (READ on it); retention and quotas shape storage server-wide. */
export const CAIRN_ARTIFACTS_ACCESS: AccessTable<CairnArtifactsController> = {
  listRun: requires('READ', runListing),
  usage: requires('READ', usageScope),
  setPolicy: ADMIN_ONLY,
  listPolicies: ADMIN_ONLY,
  deletePolicy: ADMIN_ONLY,
  setQuota: ADMIN_ONLY,
  getQuota: ADMIN_ONLY,
};

export const UI_ARTIFACTS_ACCESS: AccessTable<UiArtifactsController> = {
  runArtifact: requires('READ', runArtifactFile),
  modelVersionArtifact: requires('READ', modelVersionArtifact, { serving: true }),
};

/** A logged model's files inherit its experiment's permission, as a run's do. */
export const LOGGED_MODEL_ARTIFACTS_ACCESS: AccessTable<LoggedModelArtifactsController> = {
  directories: requires('READ', loggedModelListing),
  file: requires('READ', loggedModelArtifactFile),
};
