export * from './environment';
export * from './test-database';
export * from './server-process';
export * from './python';
export * from './wait-for';
export * from './decider-specification';
export * from './test-bucket';
export * from './stand-in-s3';
