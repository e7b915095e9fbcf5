export * from './start-service';
export * from './eventing';
export * from './migrate-job';
export { OperationsModule } from './operations/operations.module';
