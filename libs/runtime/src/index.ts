export * from './start-service';
export * from './eventing';
export * from './migrate-job';
