import type { DynamicModule, ForwardReference, INestApplicationContext, Type } from '@nestjs/common';
import os from 'node:os';
import { Module } from '@nestjs/common';
import type { ContextName } from '@cairn/contracts';
import { DeadLetters, EventStore, type EventBus, type ReadModelCheck, type Subscription } from '@cairn/eventing';
import { IdentityModule } from '@cairn/identity';
import { letHeapGrowBetweenCollections } from './heap-growth';
import {
  createEventBus,
  outboxReadinessProbe,
  registerConsumerLagGauge,
  startInboxPruner,
  startRelays,
  eventingLogger,
  type EventingModuleDeps,
  EventingModule,
} from './eventing';
import { DeadLetterMetrics } from './operations/dead-letter-metrics';
import { OperationsModule } from './operations/operations.module';
import { ReadModelRebuildMetrics } from './operations/read-model-rebuild-metrics';
import {
  acquireHomeLock,
  ConfigError,
  createHttpApp,
  Database,
  defaultMigrationsDirectory,
  JsonLogger,
  listen,
  loadConfig,
  MetricsRegistry,
  migrate,
  PlatformModule,
  readMigrations,
  startEmbeddedDatabase,
  SystemModule,
  serveWebUi,
  webUiDirectory,
  type CairnConfig,
  type ReadinessProbe,
} from '@cairn/platform';

type NestImport = Type<unknown> | DynamicModule | Promise<DynamicModule> | ForwardReference;

export interface ServiceDefinition {
  /** Shown in logs and metrics; `server` for the all-in-one process. */
  name: string;
  /**
   * May run on the embedded Postgres and the in-process bus when CAIRN_DATABASE_URL or
   * CAIRN_KAFKA_BROKERS is unset: the all-in-one server only (and tests running one context in
   * process). Any other service fails at boot without them, naming the variable.
   */
  embeddedDefaults?: boolean;
  /** The context modules this process serves, given the shared runtime. */
  modules(runtime: Runtime): NestImport[];
  /** Contexts whose commands this process handles: it relays their outboxes to the bus. */
  relays?: ContextName[];
  /** Event consumers this process runs; resolved from the started Nest app (repositories etc.). */
  subscriptions?(app: INestApplicationContext): Subscription[];
  /** The read models of the contexts this process serves, which the operator API can verify against a rebuild. */
  readModels?(app: INestApplicationContext): ReadModelCheck[];
  /** Extra readiness probes (bus, blob store) on top of the database. */
  probes?(runtime: Runtime): ReadinessProbe[];
  /** Background work started after the HTTP server listens (relays, consumers); returns its stopper. */
  background?(runtime: Runtime): Promise<() => Promise<void>>;
  /** Serves the web UI (the build's dist/apps/web) at `/`: the all-in-one server does. */
  webUi?: boolean;
}

export interface Runtime {
  config: CairnConfig;
  database: Database;
  metrics: MetricsRegistry;
  logger: JsonLogger;
  bus: EventBus;
  eventStore: EventStore;
}

export interface RunningService {
  url: string;
  runtime: Runtime;
  /** The Nest application (tests inspect its controllers and their access tables). */
  app: INestApplicationContext;
  stop(): Promise<void>;
}

/**
 * The composition every app shares: validated config → database (embedded or external) →
 * migrations → Nest app on Fastify → background work. Apps differ only in which context modules
 * and background jobs they pass; nothing here knows what a context does.
 */
export async function startService(definition: ServiceDefinition, env: Record<string, string | undefined> = process.env): Promise<RunningService> {
  const config = loadConfig({ CAIRN_SERVICE_NAME: definition.name, ...env }, { embeddedDefaults: definition.embeddedDefaults ?? false });
  const logger = new JsonLogger(config);
  const log = (line: string) => logger.log(line, 'runtime');
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.error(`shutdown step failed: ${(error as Error).message}`, undefined, 'runtime');
      }
    }
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (databaseUrl === undefined) {
      // Embedded mode keeps its data under CAIRN_HOME: one server per home, checked before touching it.
      const lock = acquireHomeLock(config.home);
      cleanups.push(() => lock.release());
      const embedded = await startEmbeddedDatabase(config.home, log);
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    if (config.migrateOnStart) {
      const applied = await migrate(databaseUrl, readMigrations(defaultMigrationsDirectory()), { lockTimeoutMs: config.migrationLockTimeoutMs });
      if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
    }
    const database = new Database(databaseUrl, {
      max: config.database.poolSize,
      acquireTimeoutMs: config.database.acquireTimeoutMs,
      statementTimeoutMs: config.database.statementTimeoutMs,
      idleInTransactionTimeoutMs: config.database.idleInTransactionTimeoutMs,
    });
    cleanups.push(() => database.close());
    const metrics = new MetricsRegistry(config.serviceName);
    const bus = createEventBus(config, database, logger);
    await bus.start();
    cleanups.push(() => bus.stop());
    const eventStore = new EventStore();
    const runtime: Runtime = { config, database, metrics, logger, bus, eventStore };

    const probes: ReadinessProbe[] = [
      { name: 'database', check: () => database.ping() },
      // Not required: while Kafka is away the outbox keeps the events and the API keeps serving.
      { name: 'event_bus', required: false, check: () => bus.ping() },
      ...(definition.relays?.length ? [outboxReadinessProbe(database, definition.relays)] : []),
      ...(definition.probes?.(runtime) ?? []),
    ];
    const eventing: EventingModuleDeps = { bus, eventStore };
    // The operator API replays a dead letter through its consumer's handler: the subscriptions are
    // resolved from the app below, so the lookup reads them once they are known.
    const consumers = new Map<string, Subscription>();
    const deadLetters = new DeadLetters(database, (name) => consumers.get(name), eventingLogger(logger));
    const readModels = new Map<ContextName, ReadModelCheck>();
    const deadLetterMetrics = new DeadLetterMetrics(metrics, deadLetters, () => [...new Set([...consumers.values()].map((s) => s.context))]);
    const rebuildMetrics = new ReadModelRebuildMetrics(metrics, database, () => [...readModels.keys()]);

    @Module({
      imports: [
        PlatformModule.forRoot({ config, database, metrics }),
        EventingModule.forRoot(eventing),
        SystemModule.forRoot(probes),
        // Every service enforces identity and access on every route (libs/identity, ADR 0009).
        IdentityModule,
        OperationsModule.forRoot({ deadLetters, metrics: deadLetterMetrics, rebuildMetrics, readModels, logger }),
        ...definition.modules(runtime),
      ],
    })
    class ServiceModule {}

    const app = await createHttpApp(ServiceModule, { logger, metrics, trustProxy: config.trustedProxies });
    cleanups.push(() => app.close());
    if (definition.webUi) serveWebUi(app.getHttpAdapter().getInstance(), webUiDirectory());
    for (const check of definition.readModels?.(app) ?? []) readModels.set(check.context, check);
    // Consumers first: the in-process bus delivers only to subscribers that exist when it publishes.
    const subscriptions = definition.subscriptions?.(app) ?? [];
    for (const subscription of subscriptions) {
      consumers.set(subscription.consumer, subscription);
      const handle = await bus.subscribe(subscription);
      cleanups.push(() => handle.stop());
    }
    cleanups.push(
      startInboxPruner(
        subscriptions.map((s) => s.context),
        runtime,
      ),
    );
    if (subscriptions.length > 0) registerConsumerLagGauge(metrics, bus);
    cleanups.push(await startRelays(definition.relays ?? [], runtime));
    const url = await listen(app, config);
    if (definition.background) cleanups.push(await definition.background(runtime));
    return { url, runtime, app, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** For `main.ts`: start, print the URL, stop cleanly on SIGINT/SIGTERM, exit non-zero on bad config. */
export async function runService(definition: ServiceDefinition): Promise<void> {
  letHeapGrowBetweenCollections();
  // Handlers before anything else: as a container's PID 1, node ignores a signal it has no handler
  // for, and start-up can wait a long time (migrations, a broker that is not up yet). A signal then
  // ends the process at once: nothing serves yet, and what start-up began is safe to abandon.
  let service: RunningService | undefined;
  let stopping = false;
  const shutdown = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stopping) return;
    stopping = true;
    if (service === undefined) {
      process.stderr.write(`Cairn ${definition.name}: ${signal} during start-up, exiting\n`);
      process.exit(128 + os.constants.signals[signal]);
    }
    service.runtime.logger.log(`${signal} received, shutting down`, 'runtime');
    service
      .stop()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  try {
    service = await startService(definition);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`Cairn ${definition.name} failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`Cairn ${definition.name} listening at ${service.url}\n`);
}
