export { TrackingModule } from './tracking.module';
export { TrackingQueries } from './application/tracking-queries';
export type { ExperimentView, LoggedModelView, MetricView, RunView } from './application/views';
export { LIMITS as TRACKING_LIMITS } from './domain/limits';
