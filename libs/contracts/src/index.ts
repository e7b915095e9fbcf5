export * from './events/envelope';
export * from './errors/error-codes';
export * from './events/tracking';
export * from './events/registry';
export * from './events/artifacts';
export * from './wire/registry';
export * from './metrics/latest-metric';
export * from './assert-never';
