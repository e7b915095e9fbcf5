import { declareKafkaTopics } from '@cairn/eventing';
import { ConfigError, defaultMigrationsDirectory, JsonLogger, loadConfig, migrate, readMigrations } from '@cairn/platform';
import { contextTopics, eventingLogger, kafkaConnection } from './eventing';

/**
 * The admin step a deployment runs before its services (the Helm chart's pre-install/pre-upgrade
 * Job): validated config → SQL migrations → the Kafka topics declared with their configured
 * partitions, replication and retention (when CAIRN_KAFKA_BROKERS is set). The services then run
 * with CAIRN_MIGRATE_ON_START=false and CAIRN_KAFKA_CREATE_TOPICS=false: nothing is raced at start.
 */
export async function migrateAndDeclareTopics(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadConfig({ CAIRN_SERVICE_NAME: 'migrate-job', ...env }, { embeddedDefaults: true });
  if (config.databaseUrl === undefined) throw new ConfigError(['CAIRN_DATABASE_URL: required by migrate-job']);
  const logger = new JsonLogger(config);
  const applied = await migrate(config.databaseUrl, readMigrations(defaultMigrationsDirectory()), { lockTimeoutMs: config.migrationLockTimeoutMs });
  logger.log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'no migration pending', 'migrate-job');
  if (config.kafkaBrokers === undefined) return;
  const declared = await declareKafkaTopics({
    connection: kafkaConnection(config, config.kafkaBrokers),
    topics: contextTopics(config),
    spec: config.kafka.topics,
    logger: eventingLogger(logger),
    timeoutMs: config.kafkaReadyTimeoutMs,
  });
  const created = declared.filter((topic) => topic.outcome === 'created').map((topic) => topic.topic);
  logger.log(`Kafka topics declared (${created.length > 0 ? `created ${created.join(', ')}` : 'all existed'})`, 'migrate-job');
}

/** For `main.ts`: exit 0 when done, 2 on bad configuration, 1 on any other failure. */
export async function runMigrateJob(): Promise<void> {
  try {
    await migrateAndDeclareTopics();
    process.exit(0);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : `Cairn migrate-job failed: ${(error as Error).message}`}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
}
