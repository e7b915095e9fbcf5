export * from './start-service';
export * from './eventing';
