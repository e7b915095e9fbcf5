import type { TrackingEvent } from '@cairn/contracts';

/** How much of one change a history entry shows: a batch of 1000 points is summarised, not listed. */
const MAX_LISTED = 20;
const MAX_VALUE_CHARS = 200;

export interface RunChange {
  summary: string;
  details: Record<string, unknown>;
}

const cut = (value: string) => (value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…` : value);
const listed = (names: readonly string[]) => {
  const distinct = [...new Set(names)];
  return distinct.length > MAX_LISTED ? `${distinct.slice(0, MAX_LISTED).join(', ')} (+${distinct.length - MAX_LISTED} more)` : distinct.join(', ');
};
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A run's change as a person reads it in the run's history: one line and the facts behind it. */
export function describeRunChange(event: TrackingEvent): RunChange {
  switch (event.type) {
    case 'tracking.run.created.v1':
      return {
        summary: `Run created${event.data.name ? ` as ${event.data.name}` : ''} (${event.data.status})`,
        details: { name: event.data.name, status: event.data.status, start_time: event.data.startTime, user_id: event.data.userId },
      };
    case 'tracking.run.updated.v1': {
      const parts = [
        ...(event.data.status !== undefined ? [`Status → ${event.data.status}`] : []),
        ...(event.data.name !== undefined ? [`Renamed to ${event.data.name}`] : []),
      ];
      return {
        summary: parts.length > 0 ? parts.join('; ') : 'Run updated',
        details: { status: event.data.status, end_time: event.data.endTime, name: event.data.name },
      };
    }
    case 'tracking.run.deleted.v1':
      return { summary: 'Run deleted', details: { deleted_time: event.data.deletedTime } };
    case 'tracking.run.restored.v1':
      return { summary: 'Run restored', details: {} };
    case 'tracking.run.purged.v1':
      return { summary: 'Run purged by garbage collection', details: { deleted_time: event.data.deletedTime } };
    case 'tracking.metrics.logged.v1': {
      const steps = event.data.metrics.map((m) => m.step);
      return {
        summary: `${plural(event.data.metrics.length, 'metric point')}: ${listed(event.data.metrics.map((m) => m.key))}`,
        details: {
          points: event.data.metrics.length,
          keys: [...new Set(event.data.metrics.map((m) => m.key))].slice(0, MAX_LISTED),
          min_step: Math.min(...steps),
          max_step: Math.max(...steps),
        },
      };
    }
    case 'tracking.params.logged.v1':
      return {
        summary: `${plural(event.data.params.length, 'param')}: ${listed(event.data.params.map((p) => `${p.key}=${cut(p.value)}`))}`,
        details: { params: event.data.params.slice(0, MAX_LISTED).map((p) => ({ key: p.key, value: cut(p.value) })) },
      };
    case 'tracking.tags.set.v1':
      return {
        summary: `${plural(event.data.tags.length, 'tag')} set: ${listed(event.data.tags.map((t) => t.key))}`,
        details: { tags: event.data.tags.slice(0, MAX_LISTED).map((t) => ({ key: t.key, value: cut(t.value) })) },
      };
    case 'tracking.tag.deleted.v1':
      return { summary: `Tag ${event.data.key} deleted`, details: { key: event.data.key } };
    case 'tracking.run.inputs_logged.v1':
      return {
        summary: `Inputs logged: ${listed([...event.data.datasets.map((d) => d.name), ...event.data.modelIds])}`,
        details: { datasets: event.data.datasets.map((d) => ({ name: d.name, digest: d.digest })), model_ids: event.data.modelIds },
      };
    case 'tracking.run.outputs_logged.v1':
      return { summary: `Models logged as outputs: ${listed(event.data.models.map((m) => m.modelId))}`, details: { models: event.data.models } };
    case 'tracking.run.model_logged.v1':
      return { summary: 'Model logged (MLflow 2 log_model)', details: { flavors: Object.keys((event.data.model['flavors'] as object | undefined) ?? {}) } };
    // Experiment, logged-model and trace events live on other streams than a run's.
    case 'tracking.experiment.created.v1':
    case 'tracking.experiment.renamed.v1':
    case 'tracking.experiment.deleted.v1':
    case 'tracking.experiment.restored.v1':
    case 'tracking.experiment.tag_set.v1':
    case 'tracking.experiment.tag_deleted.v1':
    case 'tracking.experiment.purged.v1':
    case 'tracking.logged_model.created.v1':
    case 'tracking.logged_model.finalized.v1':
    case 'tracking.logged_model.deleted.v1':
    case 'tracking.logged_model.tags_set.v1':
    case 'tracking.logged_model.tag_deleted.v1':
    case 'tracking.logged_model.params_logged.v1':
    case 'tracking.trace.logged.v1':
    case 'tracking.trace.tag_set.v1':
    case 'tracking.trace.tag_deleted.v1':
    case 'tracking.trace.deleted.v1':
    case 'tracking.trace.assessment_set.v1':
    case 'tracking.trace.assessment_deleted.v1':
      return { summary: event.type, details: {} };
  }
}
