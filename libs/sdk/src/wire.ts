/**
 * MLflow's JSON shapes as the server sends them (mlflow-api.md §3): the wire types of
 * `@cairn/contracts`, which the server's controllers are typed against too, so what a script reads
 * is what the server writes. The client returns them as they are.
 */
export type {
  AliasResolution,
  ContextName,
  DeadLetterReplayWire,
  DeadLetterWire,
  GetDeadLetterResponse,
  ListDeadLettersResponse,
  ReplayDeadLettersResponse,
  VerifyReadModelResponse,
  ReadModelRebuildWire,
  RebuildReadModelResponse,
  ApiToken,
  CairnWebhook,
  Dataset,
  DatasetInput,
  EnvironmentDiffResponse,
  ErrorCode,
  Experiment,
  FileInfo,
  GcResult,
  KeyValue,
  LifecycleStage,
  LoggedModel,
  LoggedModelInfo,
  Metric,
  MlflowErrorBody,
  ModelAsOf,
  ModelHistory,
  ModelInput,
  ModelOutput,
  ModelStage,
  ModelVersion,
  ModelVersionLineage,
  ModelVersionStatus,
  PackageVersionDifference,
  PromotionDecision,
  RegisteredModel,
  RegisteredModelAlias,
  Run,
  RunData,
  RunInfo,
  RunInputs,
  RunOutputs,
  RunStatus,
  TokenScopeWire,
  ViewType,
  Webhook,
  WebhookAction,
  WebhookDelivery,
  WebhookDeliveryAttempt,
  WebhookEntity,
  WebhookEvent,
  WebhookStatus,
  WebhookTestResult,
  WireDouble,
} from '@cairn/contracts';

/** A page of a listing, as the client hands it out (the wire's `next_page_token` in camelCase). */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}
