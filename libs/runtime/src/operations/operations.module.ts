import { type DynamicModule, Module } from '@nestjs/common';
import { DeadLetters } from '@cairn/eventing';
import { DeadLetterMetrics } from './dead-letter-metrics';
import { DeadLettersController } from './dead-letters.controller';

export interface OperationsModuleDeps {
  deadLetters: DeadLetters;
  metrics: DeadLetterMetrics;
}

/** The operator API every process serves, for the contexts whose consumers it runs (docs/operations.md). */
@Module({})
export class OperationsModule {
  static forRoot(deps: OperationsModuleDeps): DynamicModule {
    return {
      module: OperationsModule,
      controllers: [DeadLettersController],
      providers: [
        { provide: DeadLetters, useValue: deps.deadLetters },
        { provide: DeadLetterMetrics, useValue: deps.metrics },
      ],
    };
  }
}
