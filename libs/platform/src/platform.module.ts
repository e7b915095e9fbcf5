import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { CairnConfig } from './config/config';
import { Database } from './database/database';
import { MetricsRegistry } from './observability/metrics';

/** Injection token for the validated CairnConfig. */
export const CONFIG = Symbol('CairnConfig');

export interface PlatformDependencies {
  config: CairnConfig;
  database: Database;
  metrics: MetricsRegistry;
}

/**
 * Shares the process-wide resources that the composition root created (config, database pool,
 * metrics) with every context module. Contexts inject `CONFIG`, `Database` and `MetricsRegistry`.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(deps: PlatformDependencies): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: Database, useValue: deps.database },
        { provide: MetricsRegistry, useValue: deps.metrics },
      ],
      exports: [CONFIG, Database, MetricsRegistry],
    };
  }
}
