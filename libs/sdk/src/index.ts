/// <reference lib="esnext.disposable" preserve="true" />
export {
  CairnClient,
  type CairnClientOptions,
  type CreateWebhookOptions,
  type ProgressListener,
  type PromoteOptions,
  type SearchExperimentsOptions,
  type SearchOptions,
  type SearchRunsOptions,
} from './client';
export { CairnApiError, CairnConnectionError, isMissingEndpoint } from './errors';
export {
  ActiveRun,
  activeRun,
  endRun,
  flush,
  getClient,
  getTrackingUri,
  HEARTBEAT_INTERVAL_MS,
  logArtifact,
  logArtifacts,
  logMetric,
  logMetrics,
  logParam,
  logParams,
  type MetricOptions,
  setExperiment,
  setTag,
  setTags,
  setTrackingUri,
  startRun,
  type StartRunOptions,
} from './fluent';
export { MAX_METRICS_PER_BATCH, MetricBuffer, type MetricBufferOptions } from './metric-buffer';
export { collectProvenance, fileProvenanceTags, type GitInfo, type ProvenanceOptions, readGit, sha256, withoutCredentials } from './provenance';
export { DEFAULT_TRACKING_URI, resolveTrackingUri, type RetryPolicy } from './transport';
export type * from './wire';
