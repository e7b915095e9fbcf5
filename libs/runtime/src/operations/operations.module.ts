import { type DynamicModule, Module } from '@nestjs/common';
import type { ContextName } from '@cairn/contracts';
import { DeadLetters, type ReadModelCheck } from '@cairn/eventing';
import { JsonLogger } from '@cairn/platform';
import { DeadLetterMetrics } from './dead-letter-metrics';
import { DeadLettersController } from './dead-letters.controller';
import { EventLogController } from './event-log.controller';
import { ReadModelRebuildMetrics } from './read-model-rebuild-metrics';
import { READ_MODEL_CHECKS, ReadModelsController } from './read-models.controller';

export interface OperationsModuleDeps {
  deadLetters: DeadLetters;
  metrics: DeadLetterMetrics;
  rebuildMetrics: ReadModelRebuildMetrics;
  /** Filled once the app is created (the checks need its repositories). */
  readModels: ReadonlyMap<ContextName, ReadModelCheck>;
  logger: JsonLogger;
}

/** The operator API every process serves, for the contexts whose consumers it runs (docs/operations.md). */
@Module({})
export class OperationsModule {
  static forRoot(deps: OperationsModuleDeps): DynamicModule {
    return {
      module: OperationsModule,
      controllers: [DeadLettersController, ReadModelsController, EventLogController],
      providers: [
        { provide: DeadLetters, useValue: deps.deadLetters },
        { provide: DeadLetterMetrics, useValue: deps.metrics },
        { provide: ReadModelRebuildMetrics, useValue: deps.rebuildMetrics },
        { provide: READ_MODEL_CHECKS, useValue: deps.readModels },
        { provide: JsonLogger, useValue: deps.logger },
      ],
    };
  }
}
