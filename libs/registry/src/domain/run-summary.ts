import { isLaterMetric, TRACKING_EVENT_TYPES, type TrackingEvent, type WireDouble } from '@cairn/contracts';

/**
 * The registry's own view of a tracking run, built from tracking events (never by calling tracking):
 * what lineage and champion/challenger comparisons need — experiment, params, final metrics, the
 * code commit and the data version.
 */
export interface RunSummary {
  runId: string;
  experimentId: string;
  name: string;
  status: string;
  lifecycleStage: 'active' | 'deleted';
  startTime: number;
  endTime: number | null;
  artifactUri: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Latest value per key by MLflow's rule (`isLaterMetric`). */
  metrics: Record<string, { value: WireDouble; step: number; timestamp: number }>;
  datasets: Array<{ name: string; digest: string; source: string; context: string | null }>;
}

export const emptyRunSummary = (runId: string): RunSummary => ({
  runId,
  experimentId: '',
  name: '',
  status: 'RUNNING',
  lifecycleStage: 'active',
  startTime: 0,
  endTime: null,
  artifactUri: '',
  params: {},
  tags: {},
  metrics: {},
  datasets: [],
});

const numeric = (v: WireDouble): number => (typeof v === 'number' ? v : v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : -Infinity);

/** A summary's point (value as on the wire) where the latest-metric rule can place it. */
const position = (p: { step: number; timestamp: number; value: WireDouble }) => ({ step: p.step, timestamp: p.timestamp, value: numeric(p.value) });

/** Pure projection: the summary after one tracking event. Events for other aggregates are ignored. */
export function evolveRunSummary(summary: RunSummary, event: TrackingEvent): RunSummary {
  switch (event.type) {
    case TRACKING_EVENT_TYPES.runCreated: {
      const d = event.data;
      return {
        ...summary,
        experimentId: d.experimentId,
        name: d.name,
        status: d.status,
        startTime: d.startTime,
        artifactUri: d.artifactUri,
        tags: { ...summary.tags, ...Object.fromEntries(d.tags.map((t) => [t.key, t.value])) },
      };
    }
    case TRACKING_EVENT_TYPES.runUpdated: {
      const d = event.data;
      return { ...summary, status: d.status ?? summary.status, endTime: d.endTime ?? summary.endTime, name: d.name ?? summary.name };
    }
    case TRACKING_EVENT_TYPES.runDeleted:
      return { ...summary, lifecycleStage: 'deleted' };
    case TRACKING_EVENT_TYPES.runRestored:
      return { ...summary, lifecycleStage: 'active' };
    case TRACKING_EVENT_TYPES.paramsLogged:
      return { ...summary, params: { ...summary.params, ...Object.fromEntries(event.data.params.map((p) => [p.key, p.value])) } };
    case TRACKING_EVENT_TYPES.tagsSet: {
      const tags = { ...summary.tags, ...Object.fromEntries(event.data.tags.map((t) => [t.key, t.value])) };
      return { ...summary, tags, name: tags['mlflow.runName'] ?? summary.name };
    }
    case TRACKING_EVENT_TYPES.tagDeleted: {
      const { [event.data.key]: _removed, ...tags } = summary.tags;
      return { ...summary, tags };
    }
    case TRACKING_EVENT_TYPES.metricsLogged: {
      const metrics = { ...summary.metrics };
      for (const point of event.data.metrics) {
        const current = metrics[point.key];
        if (current === undefined || isLaterMetric(position(point), position(current)))
          metrics[point.key] = { value: point.value, step: point.step, timestamp: point.timestamp };
      }
      return { ...summary, metrics };
    }
    case TRACKING_EVENT_TYPES.inputsLogged: {
      const known = new Set(summary.datasets.map((d) => `${d.name}\u0000${d.digest}`));
      const added = event.data.datasets
        .filter((d) => !known.has(`${d.name}\u0000${d.digest}`))
        .map((d) => ({ name: d.name, digest: d.digest, source: d.source, context: d.tags.find((t) => t.key === 'mlflow.data.context')?.value ?? null }));
      return { ...summary, datasets: [...summary.datasets, ...added] };
    }
    case TRACKING_EVENT_TYPES.experimentCreated:
    case TRACKING_EVENT_TYPES.experimentRenamed:
    case TRACKING_EVENT_TYPES.experimentDeleted:
    case TRACKING_EVENT_TYPES.experimentRestored:
    case TRACKING_EVENT_TYPES.experimentTagSet:
    case TRACKING_EVENT_TYPES.experimentTagDeleted:
    case TRACKING_EVENT_TYPES.outputsLogged:
    case TRACKING_EVENT_TYPES.modelLogged:
    case TRACKING_EVENT_TYPES.loggedModelCreated:
    case TRACKING_EVENT_TYPES.loggedModelFinalized:
    case TRACKING_EVENT_TYPES.loggedModelDeleted:
    case TRACKING_EVENT_TYPES.loggedModelTagsSet:
    case TRACKING_EVENT_TYPES.loggedModelTagDeleted:
    case TRACKING_EVENT_TYPES.loggedModelParamsLogged:
    case TRACKING_EVENT_TYPES.experimentPurged:
    case TRACKING_EVENT_TYPES.runPurged:
    case TRACKING_EVENT_TYPES.traceLogged:
    case TRACKING_EVENT_TYPES.traceTagSet:
    case TRACKING_EVENT_TYPES.traceTagDeleted:
    case TRACKING_EVENT_TYPES.traceDeleted:
    case TRACKING_EVENT_TYPES.traceAssessmentSet:
    case TRACKING_EVENT_TYPES.traceAssessmentDeleted:
      // Not about a run's summary (logged models are projected separately, a purged run's summary
      // is deleted by the consumer, and traces carry no run id in their events).
      return summary;
    default:
      return summary;
  }
}

/**
 * The tracking events the run-summary consumer applies: those about a run (its summary, or its
 * `updated_at`), logged models' creation and run purges. Experiment and trace events, and any type
 * a newer tracking release adds, are skipped without being parsed (ADR 0011).
 */
export const RUN_SUMMARY_EVENT_TYPES: ReadonlySet<string> = new Set<string>([
  TRACKING_EVENT_TYPES.runCreated,
  TRACKING_EVENT_TYPES.runUpdated,
  TRACKING_EVENT_TYPES.runDeleted,
  TRACKING_EVENT_TYPES.runRestored,
  TRACKING_EVENT_TYPES.runPurged,
  TRACKING_EVENT_TYPES.metricsLogged,
  TRACKING_EVENT_TYPES.paramsLogged,
  TRACKING_EVENT_TYPES.tagsSet,
  TRACKING_EVENT_TYPES.tagDeleted,
  TRACKING_EVENT_TYPES.inputsLogged,
  TRACKING_EVENT_TYPES.outputsLogged,
  TRACKING_EVENT_TYPES.modelLogged,
  TRACKING_EVENT_TYPES.loggedModelCreated,
]);

/** Which run an event is about, when it is about one (experiment and logged-model events are not). */
export function runIdOf(event: TrackingEvent): string | undefined {
  const data = event.data as { runId?: unknown };
  return typeof data.runId === 'string' ? data.runId : undefined;
}
