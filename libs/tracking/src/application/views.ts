import type { KeyValue, LoggedModelStatus, RunStatus, TraceState } from '@cairn/contracts';
import type { LifecycleStage } from '../domain/run';

/** Read-side shapes handed from infra to the API; the API turns them into MLflow's wire JSON. */
export interface ExperimentView {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime: number | null;
  lastUpdateTime: number | null;
  tags: KeyValue[];
}

export interface MetricView {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  runId?: string;
  modelId?: string;
  datasetName?: string;
  datasetDigest?: string;
}

export interface DatasetInputView {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
  tags: KeyValue[];
}

export interface RunView {
  runId: string;
  experimentId: string;
  name: string;
  userId: string;
  status: RunStatus;
  startTime: number | null;
  endTime: number | null;
  lifecycleStage: LifecycleStage;
  artifactUri: string;
  metrics: MetricView[];
  params: KeyValue[];
  tags: KeyValue[];
  datasetInputs: DatasetInputView[];
  modelInputs: string[];
  modelOutputs: { modelId: string; step: number }[];
}

export interface LoggedModelView {
  modelId: string;
  experimentId: string;
  name: string;
  artifactUri: string;
  creationTimestampMs: number;
  lastUpdatedTimestampMs: number;
  status: LoggedModelStatus;
  lifecycleStage: LifecycleStage;
  modelType: string | null;
  sourceRunId: string | null;
  statusMessage: string | null;
  tags: KeyValue[];
  params: KeyValue[];
  metrics: MetricView[];
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/** An MLflow 3 trace's info (its spans are in the artifact store). Times in epoch milliseconds. */
export interface TraceView {
  traceId: string;
  experimentId: string;
  requestTime: number;
  executionDuration: number | null;
  state: TraceState;
  requestPreview: string | null;
  responsePreview: string | null;
  clientRequestId: string | null;
  tags: Record<string, string>;
  metadata: Record<string, string>;
  /** MLflow's Assessment messages, oldest first. */
  assessments: Record<string, unknown>[];
}

/** One QueryTraceMetrics data point: a group (`time_bucket` and dimensions) and its aggregated values by label ("COUNT", "P50.0"). */
export interface MetricDataPointView {
  metricName: string;
  dimensions: Record<string, string>;
  values: Record<string, number>;
}

/** One change in a run's history (its event, described for people). */
export interface RunChangeView {
  eventId: string;
  type: string;
  actor: string;
  occurredAt: string;
  sequence: number;
  summary: string;
  details: Record<string, unknown>;
}
