import type { ServiceDefinition } from '@cairn/runtime';

/** The all-in-one process: every context, the in-process bus (or Kafka if configured), the UI. */
export const serverDefinition: ServiceDefinition = {
  name: 'server',
  modules: () => [],
};
