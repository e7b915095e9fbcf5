import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { z } from 'zod';
import { USERNAME_PATTERN, USERNAME_RULE } from '@cairn/contracts';
import { DEFAULT_MIGRATION_LOCK_TIMEOUT_MS } from '../database/migrator';

/**
 * The one typed configuration object. Parsed once at boot from the environment (and, for
 * `cairn server`, from flags merged into the same record); nothing reads `process.env` afterwards.
 * An absent variable means the embedded default, so a newcomer needs no services at all: in the
 * all-in-one server. A service process refuses to start without an external Postgres and Kafka.
 */
const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const booleanFlag = (fallback: boolean) =>
  z.preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0']).optional()).transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'));
const positiveInt = (fallback: number) => z.preprocess(emptyToUndefined, z.coerce.number().int().positive().optional()).transform((v) => v ?? fallback);

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const;
export type KafkaSaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Variables whose values never appear in an error message (nor anywhere else). */
const isSecretVariable = (name: string) => /PASSWORD|SECRET/.test(name) && !name.endsWith('_FILE');

const environmentSchema = z.object({
  CAIRN_HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  CAIRN_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(5000)),
  CAIRN_HOME: optionalString,
  CAIRN_DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  CAIRN_KAFKA_BROKERS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'must be a comma-separated list of host:port')
      .optional(),
  ),
  CAIRN_ARTIFACT_ROOT: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^(file:\/\/\/|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/|$))/, 'must be file:///absolute/path or s3://bucket[/prefix]')
      .optional(),
  ),
  CAIRN_KAFKA_READY_TIMEOUT_MS: positiveInt(60_000),
  CAIRN_KAFKA_TOPIC_PREFIX: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'may contain only letters, digits, dot, underscore and dash')
      .default(''),
  ),
  // Kafka on a real cluster (issue 21): TLS, SASL, and the topics' sizing.
  CAIRN_KAFKA_TLS: booleanFlag(false),
  CAIRN_KAFKA_TLS_CA_FILE: optionalString,
  CAIRN_KAFKA_SASL_MECHANISM: z.preprocess(
    (value) => (typeof value === 'string' ? emptyToUndefined(value.toLowerCase()) : value),
    z.enum(SASL_MECHANISMS, { error: 'must be plain, scram-sha-256, scram-sha-512 or oauthbearer' }).optional(),
  ),
  CAIRN_KAFKA_SASL_USERNAME: optionalString,
  CAIRN_KAFKA_SASL_PASSWORD: optionalString,
  CAIRN_KAFKA_SASL_PASSWORD_FILE: optionalString,
  // OAUTHBEARER: a token from the identity provider's token endpoint (client credentials), as Kafka's
  // own clients get one (sasl.oauthbearer.token.endpoint.url, clientId, clientSecret, scope).
  CAIRN_KAFKA_OAUTH_TOKEN_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  CAIRN_KAFKA_OAUTH_CLIENT_ID: optionalString,
  CAIRN_KAFKA_OAUTH_CLIENT_SECRET: optionalString,
  CAIRN_KAFKA_OAUTH_CLIENT_SECRET_FILE: optionalString,
  CAIRN_KAFKA_OAUTH_SCOPE: optionalString,
  CAIRN_KAFKA_OAUTH_RESOURCE: optionalString,
  CAIRN_KAFKA_OAUTH_AUDIENCE: optionalString,
  CAIRN_KAFKA_TOPIC_PARTITIONS: positiveInt(3),
  CAIRN_KAFKA_TOPIC_REPLICATION_FACTOR: z.preprocess(emptyToUndefined, z.coerce.number().int().positive().optional()),
  CAIRN_KAFKA_TOPIC_RETENTION_MS: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number()
      .int()
      .refine((ms) => ms === -1 || ms > 0, 'must be a positive number of milliseconds, or -1 to keep events forever')
      .optional(),
  ),
  CAIRN_KAFKA_CREATE_TOPICS: booleanFlag(true),
  CAIRN_S3_ENDPOINT: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  CAIRN_S3_ACCESS_KEY: optionalString,
  CAIRN_S3_SECRET_KEY: optionalString,
  // Unset: AWS_REGION (set by EKS with IRSA and Pod Identity), AWS_DEFAULT_REGION, then us-east-1.
  CAIRN_S3_REGION: optionalString,
  CAIRN_S3_PATH_STYLE: booleanFlag(true),
  CAIRN_S3_SSE: z.preprocess(
    emptyToUndefined,
    z.enum(['none', 'AES256', 'aws:kms'], { error: 'must be none, AES256 (SSE-S3) or aws:kms (SSE-KMS)' }).default('none'),
  ),
  CAIRN_S3_SSE_KMS_KEY_ID: optionalString,
  // The EC2 instance profile through IMDSv2: opt-in, so that a forgotten key fails at boot rather than
  // as a metadata timeout on the first upload (and a pod rarely should use its node's role).
  CAIRN_S3_INSTANCE_PROFILE: booleanFlag(false),
  CAIRN_LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  CAIRN_SERVICE_NAME: z.preprocess(emptyToUndefined, z.string().default('cairn')),
  CAIRN_RELAY_INTERVAL_MS: positiveInt(200),
  CAIRN_INBOX_RETENTION_HOURS: positiveInt(168),
  CAIRN_MIGRATE_ON_START: booleanFlag(true),
  CAIRN_MIGRATION_LOCK_TIMEOUT_MS: positiveInt(DEFAULT_MIGRATION_LOCK_TIMEOUT_MS),
  // Bounded waits on Postgres (issue 17): no request may hang on a connection, a lock or a statement.
  CAIRN_DB_POOL_SIZE: positiveInt(20),
  CAIRN_DB_ACQUIRE_TIMEOUT_MS: positiveInt(10_000),
  CAIRN_DB_STATEMENT_TIMEOUT_MS: positiveInt(60_000),
  CAIRN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: positiveInt(60_000),
  // Webhooks (issue 6): retry schedule, SSRF policy, per-attempt bounds.
  CAIRN_WEBHOOK_RETRY_BASE_MS: positiveInt(30_000),
  CAIRN_WEBHOOK_RETRY_MAX_DELAY_MS: positiveInt(3_600_000),
  CAIRN_WEBHOOK_RETRY_WINDOW_S: positiveInt(72 * 3600),
  CAIRN_WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  CAIRN_WEBHOOK_ALLOW_HTTP: booleanFlag(false),
  CAIRN_WEBHOOK_ALLOWED_HOSTS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[^\s,]+(,[^\s,]+)*$/, 'must be a comma-separated list of host names, IPs or CIDRs')
      .optional(),
  ),
  CAIRN_WEBHOOK_DISABLE_AFTER_FAILURES: positiveInt(100),
  CAIRN_WEBHOOK_SECRET_KEY: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'must be 32 bytes, as 64 hex digits or 44 characters of base64 (openssl rand -hex 32)')
      .optional(),
  ),
  // Run lifecycle (issue 7): orphaned RUNNING runs, soft-delete retention and garbage collection.
  CAIRN_ORPHAN_TIMEOUT_S: positiveInt(24 * 3600),
  CAIRN_REAPER_INTERVAL_S: positiveInt(60),
  CAIRN_RETENTION_DAYS: positiveInt(30),
  CAIRN_GC_INTERVAL_S: positiveInt(3600),
  // Identity and access (issue 18). Unset CAIRN_AUTH means none on a loopback address, and a refusal
  // to start anywhere else: a shared server is never left open by omission.
  CAIRN_AUTH: z.preprocess(emptyToUndefined, z.enum(['none', 'basic', 'oidc']).optional()),
  CAIRN_ADMIN_USERNAME: z.preprocess(emptyToUndefined, z.string().regex(USERNAME_PATTERN, USERNAME_RULE).default('admin')),
  CAIRN_ADMIN_PASSWORD: optionalString,
  CAIRN_ADMIN_PASSWORD_FILE: optionalString,
  CAIRN_AUTH_DEFAULT_PERMISSION: z.preprocess(emptyToUndefined, z.enum(['NO_PERMISSIONS', 'READ', 'EDIT', 'MANAGE']).default('NO_PERMISSIONS')),
  CAIRN_AUTH_CACHE_TTL_S: positiveInt(30),
  CAIRN_AUTH_MAX_FAILURES_PER_MINUTE: positiveInt(10),
  // Who may set X-Forwarded-For (an ingress): hop count or a comma-separated list of addresses/CIDRs.
  // Unset, the client address is the TCP peer — behind a proxy, every client would share it (and
  // the sign-in failure limit).
  CAIRN_TRUSTED_PROXIES: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^(\d{1,2}|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/, 'must be a hop count or a comma-separated list of IP addresses or CIDRs')
      .optional(),
  ),
  CAIRN_PUBLIC_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  CAIRN_OIDC_ISSUER: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  CAIRN_OIDC_AUDIENCE: optionalString,
  CAIRN_OIDC_CLIENT_ID: optionalString,
  CAIRN_OIDC_CLIENT_SECRET: optionalString,
  CAIRN_OIDC_USERNAME_CLAIM: z.preprocess(emptyToUndefined, z.string().default('preferred_username')),
  CAIRN_OIDC_GROUPS_CLAIM: z.preprocess(emptyToUndefined, z.string().default('groups')),
  CAIRN_OIDC_ADMIN_GROUP: optionalString,
  CAIRN_OIDC_CLOCK_SKEW_S: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(300).optional()).transform((v) => v ?? 60),
});

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** Whether a listen address is reachable from this machine only (where CAIRN_AUTH may be left unset). */
export const isLoopbackHost = (host: string): boolean => LOOPBACK_HOSTS.has(host);

export type ArtifactRoot = { kind: 'file'; directory: string } | { kind: 's3'; bucket: string; prefix: string };

export interface CairnConfig {
  host: string;
  port: number;
  home: string;
  serviceName: string;
  logLevel: z.infer<typeof environmentSchema>['CAIRN_LOG_LEVEL'];
  /** undefined → start the embedded Postgres under `home`. */
  databaseUrl: string | undefined;
  /** undefined → the in-process bus. */
  kafkaBrokers: string[] | undefined;
  /** How long start-up waits out a broker that is not ready (topics without leaders yet) before failing. */
  kafkaReadyTimeoutMs: number;
  /** Prepended to every topic name: several installations (or test runs) can share one cluster. */
  kafkaTopicPrefix: string;
  kafka: KafkaSettings;
  artifactRoot: ArtifactRoot;
  s3: S3Settings;
  relayIntervalMs: number;
  /** How long consumers remember an applied event, to turn its redeliveries into no-ops. */
  inboxRetentionHours: number;
  migrateOnStart: boolean;
  /** How long a migration statement waits for a lock before failing (ADR 0011). */
  migrationLockTimeoutMs: number;
  /** This process's pool and the bounds on every wait for Postgres (see docs/operations.md for the connection budget). */
  database: { poolSize: number; acquireTimeoutMs: number; statementTimeoutMs: number; idleInTransactionTimeoutMs: number };
  webhooks: {
    /** First retry delay; later ones double (with full jitter) up to `retryMaxDelayMs`. */
    retryBaseMs: number;
    retryMaxDelayMs: number;
    /** A delivery still failing this long after its event is given up (about 72 hours). */
    retryWindowS: number;
    /** Whole-attempt bound: connect, send, read the (truncated) response. */
    timeoutMs: number;
    /** false → only https:// endpoints are accepted. */
    allowHttp: boolean;
    /** Host names, IPs or CIDRs exempt from the private/loopback/metadata address check. */
    allowedHosts: string[];
    /** Consecutive failed deliveries after which an endpoint is disabled, with the reason. */
    disableAfterFailures: number;
    /** AES-256 key sealing signing secrets at rest; undefined → stored as given. */
    secretKey: Buffer | undefined;
  };
  lifecycle: {
    /** A RUNNING run with no heartbeat or write for this long is closed as KILLED. */
    orphanTimeoutS: number;
    reaperIntervalS: number;
    /** Deleted runs and experiments stay restorable this long, then GC purges them. */
    retentionDays: number;
    /** How often the embedded server runs GC itself (a CronJob runs `cairn gc` otherwise). */
    gcIntervalS: number;
  };
  auth: AuthConfig;
  /** Fastify's trustProxy: false, a hop count, or the proxies' addresses. */
  trustedProxies: false | number | string;
}

export type AuthMode = 'none' | 'basic' | 'oidc';

export interface AuthConfig {
  mode: AuthMode;
  /** True when `none` was asked for explicitly on a non-loopback address (logged as a warning). */
  openOnNetwork: boolean;
  adminUsername: string;
  /** The first admin's password (from CAIRN_ADMIN_PASSWORD or the file it names); undefined → a one-time bootstrap token is printed. */
  adminPassword: string | undefined;
  defaultPermission: 'NO_PERMISSIONS' | 'READ' | 'EDIT' | 'MANAGE';
  /** How long a verified credential or a loaded grant set is trusted without a change notice. */
  cacheTtlS: number;
  /** Failed sign-ins allowed per client address and user name per minute before 429. */
  maxFailuresPerMinute: number;
  /** The address browsers reach this server at (OIDC redirect URI); defaults to the listen address. */
  publicUrl: string | undefined;
  oidc:
    | {
        issuer: string;
        audience: string;
        clientId: string | undefined;
        clientSecret: string | undefined;
        usernameClaim: string;
        groupsClaim: string;
        adminGroup: string | undefined;
        clockSkewS: number;
      }
    | undefined;
}

/** The S3 artifact store: where, as whom, how objects are addressed and encrypted. */
export interface S3Settings {
  endpoint: string | undefined;
  region: string;
  /** Decided at boot from CAIRN_S3_* and the standard AWS variables; undefined only without an s3:// root. */
  credentials: S3CredentialSource | undefined;
  /** false → virtual-hosted-style requests (bucket.endpoint/key), as AWS S3 expects. */
  pathStyle: boolean;
  serverSideEncryption: { mode: 'AES256' } | { mode: 'aws:kms'; keyId?: string } | undefined;
}

/** Where S3 credentials come from, in the AWS SDKs' order (the blob store fetches and renews them). */
export type S3CredentialSource =
  | { source: 'static'; accessKey: string; secretKey: string; sessionToken?: string }
  | { source: 'web-identity'; tokenFile: string; roleArn: string; sessionName: string; stsEndpoint: string }
  | { source: 'container'; url: string; authorizationToken?: string; authorizationTokenFile?: string }
  | { source: 'instance-profile'; endpoint: string };

/** How to reach a secured cluster and how big the topics are (used only when CAIRN_KAFKA_BROKERS is set). */
export interface KafkaSettings {
  /**
   * undefined → plaintext. Otherwise TLS; `ca` undefined trusts Node's CAs (which include
   * NODE_EXTRA_CA_CERTS), else Node's CAs, NODE_EXTRA_CA_CERTS's and CAIRN_KAFKA_TLS_CA_FILE's.
   */
  tls: { ca: string[] | undefined } | undefined;
  /** The password (or OAuth client secret) is read once here (from the variable or its file) and never logged. */
  sasl: KafkaSasl | undefined;
  /** For topics Cairn creates; an existing topic is never altered. undefined → the broker's default. */
  topics: { partitions: number; replicationFactor: number | undefined; retentionMs: number | undefined };
  /** Whether services create missing topics at start (dev); false when the migration job declares them. */
  createTopics: boolean;
}

export type KafkaSasl =
  | { mechanism: Exclude<KafkaSaslMechanism, 'oauthbearer'>; username: string; password: string }
  | {
      mechanism: 'oauthbearer';
      /** The OAuth 2.0 client-credentials grant the token is fetched with (and fetched again before it expires). */
      oauth: { tokenUrl: string; clientId: string; clientSecret: string; scope?: string; resource?: string; audience?: string };
    };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /**
   * Whether an absent CAIRN_DATABASE_URL / CAIRN_KAFKA_BROKERS may mean the embedded Postgres and
   * the in-process bus. True for the all-in-one server; a service process (one context of a
   * distributed install) that fell back would keep its data in the pod, lost on restart, and hear
   * none of the other services' events, so there they are required.
   */
  embeddedDefaults?: boolean;
}

/** Parses the environment into a CairnConfig, or throws a ConfigError listing every bad variable. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
  readFile: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): CairnConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        const shown = isSecretVariable(name) ? 'value hidden' : `got ${JSON.stringify(env[name]?.replace(/\/\/([^/:@]*):[^/@]*@/, '//$1:***@'))}`;
        return `${issue.path.join('.')}: ${issue.message} (${shown})`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (options.embeddedDefaults === false) {
    const service = e.CAIRN_SERVICE_NAME;
    if (e.CAIRN_DATABASE_URL === undefined)
      problems.push(`CAIRN_DATABASE_URL: required by ${service} (only the all-in-one server falls back to an embedded Postgres)`);
    if (e.CAIRN_KAFKA_BROKERS === undefined)
      problems.push(`CAIRN_KAFKA_BROKERS: required by ${service} (only the all-in-one server falls back to the in-process bus)`);
  }
  const home = path.resolve(e.CAIRN_HOME ?? path.join(os.homedir(), '.cairn'));
  const artifactRoot = parseArtifactRoot(e.CAIRN_ARTIFACT_ROOT ?? `file://${path.join(home, 'artifacts')}`);
  const s3 = s3Settings(e, env, artifactRoot.kind === 's3', problems);
  const kafka = kafkaSettings(e, env, problems, readFile);
  const auth = parseAuth(e, problems, readFile);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host: e.CAIRN_HOST,
    port: e.CAIRN_PORT,
    home,
    serviceName: e.CAIRN_SERVICE_NAME,
    logLevel: e.CAIRN_LOG_LEVEL,
    databaseUrl: e.CAIRN_DATABASE_URL,
    kafkaBrokers: e.CAIRN_KAFKA_BROKERS?.split(','),
    kafkaReadyTimeoutMs: e.CAIRN_KAFKA_READY_TIMEOUT_MS,
    kafkaTopicPrefix: e.CAIRN_KAFKA_TOPIC_PREFIX,
    kafka,
    artifactRoot,
    s3,
    relayIntervalMs: e.CAIRN_RELAY_INTERVAL_MS,
    inboxRetentionHours: e.CAIRN_INBOX_RETENTION_HOURS,
    migrateOnStart: e.CAIRN_MIGRATE_ON_START,
    migrationLockTimeoutMs: e.CAIRN_MIGRATION_LOCK_TIMEOUT_MS,
    database: {
      poolSize: e.CAIRN_DB_POOL_SIZE,
      acquireTimeoutMs: e.CAIRN_DB_ACQUIRE_TIMEOUT_MS,
      statementTimeoutMs: e.CAIRN_DB_STATEMENT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: e.CAIRN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
    webhooks: {
      retryBaseMs: e.CAIRN_WEBHOOK_RETRY_BASE_MS,
      retryMaxDelayMs: e.CAIRN_WEBHOOK_RETRY_MAX_DELAY_MS,
      retryWindowS: e.CAIRN_WEBHOOK_RETRY_WINDOW_S,
      timeoutMs: e.CAIRN_WEBHOOK_TIMEOUT_MS,
      allowHttp: e.CAIRN_WEBHOOK_ALLOW_HTTP,
      allowedHosts: e.CAIRN_WEBHOOK_ALLOWED_HOSTS?.split(',') ?? [],
      disableAfterFailures: e.CAIRN_WEBHOOK_DISABLE_AFTER_FAILURES,
      secretKey:
        e.CAIRN_WEBHOOK_SECRET_KEY === undefined
          ? undefined
          : Buffer.from(e.CAIRN_WEBHOOK_SECRET_KEY, e.CAIRN_WEBHOOK_SECRET_KEY.length === 64 ? 'hex' : 'base64'),
    },
    lifecycle: {
      orphanTimeoutS: e.CAIRN_ORPHAN_TIMEOUT_S,
      reaperIntervalS: e.CAIRN_REAPER_INTERVAL_S,
      retentionDays: e.CAIRN_RETENTION_DAYS,
      gcIntervalS: e.CAIRN_GC_INTERVAL_S,
    },
    auth,
    trustedProxies:
      e.CAIRN_TRUSTED_PROXIES === undefined ? false : /^\d+$/.test(e.CAIRN_TRUSTED_PROXIES) ? Number(e.CAIRN_TRUSTED_PROXIES) : e.CAIRN_TRUSTED_PROXIES,
  };
}

type Environment = z.infer<typeof environmentSchema>;

function parseAuth(e: Environment, problems: string[], readFile: (file: string) => string): AuthConfig {
  const loopback = isLoopbackHost(e.CAIRN_HOST);
  if (e.CAIRN_AUTH === undefined && !loopback) {
    problems.push(`CAIRN_AUTH: required when listening on ${e.CAIRN_HOST} (not a loopback address): set basic or oidc, or none to run open on purpose`);
  }
  const mode = e.CAIRN_AUTH ?? 'none';
  let adminPassword = e.CAIRN_ADMIN_PASSWORD;
  if (e.CAIRN_ADMIN_PASSWORD_FILE !== undefined) {
    try {
      adminPassword = readFile(e.CAIRN_ADMIN_PASSWORD_FILE).replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`CAIRN_ADMIN_PASSWORD_FILE: cannot read ${e.CAIRN_ADMIN_PASSWORD_FILE} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (adminPassword !== undefined && adminPassword.length < 12) problems.push('CAIRN_ADMIN_PASSWORD: must be at least 12 characters');
  let oidc: AuthConfig['oidc'];
  if (mode === 'oidc') {
    if (e.CAIRN_OIDC_ISSUER === undefined) problems.push('CAIRN_OIDC_ISSUER: required when CAIRN_AUTH=oidc');
    const audience = e.CAIRN_OIDC_AUDIENCE ?? e.CAIRN_OIDC_CLIENT_ID;
    if (audience === undefined) problems.push('CAIRN_OIDC_AUDIENCE: required when CAIRN_AUTH=oidc (or CAIRN_OIDC_CLIENT_ID, used as the audience)');
    if (e.CAIRN_OIDC_ISSUER !== undefined && audience !== undefined) {
      oidc = {
        issuer: e.CAIRN_OIDC_ISSUER,
        audience,
        clientId: e.CAIRN_OIDC_CLIENT_ID,
        clientSecret: e.CAIRN_OIDC_CLIENT_SECRET,
        usernameClaim: e.CAIRN_OIDC_USERNAME_CLAIM,
        groupsClaim: e.CAIRN_OIDC_GROUPS_CLAIM,
        adminGroup: e.CAIRN_OIDC_ADMIN_GROUP,
        clockSkewS: e.CAIRN_OIDC_CLOCK_SKEW_S,
      };
    }
  }
  return {
    mode,
    openOnNetwork: mode === 'none' && !loopback,
    adminUsername: e.CAIRN_ADMIN_USERNAME,
    adminPassword,
    defaultPermission: e.CAIRN_AUTH_DEFAULT_PERMISSION,
    cacheTtlS: e.CAIRN_AUTH_CACHE_TTL_S,
    maxFailuresPerMinute: e.CAIRN_AUTH_MAX_FAILURES_PER_MINUTE,
    publicUrl: e.CAIRN_PUBLIC_URL,
    oidc,
  };
}

/** TLS and SASL settings, with the files they name read now, so a bad one fails the boot, not the first connection. */
function s3Settings(e: Environment, env: Record<string, string | undefined>, required: boolean, problems: string[]): S3Settings {
  const region = e.CAIRN_S3_REGION ?? nonEmpty(env['AWS_REGION']) ?? nonEmpty(env['AWS_DEFAULT_REGION']) ?? 'us-east-1';
  let serverSideEncryption: S3Settings['serverSideEncryption'];
  if (e.CAIRN_S3_SSE === 'AES256') serverSideEncryption = { mode: 'AES256' };
  else if (e.CAIRN_S3_SSE === 'aws:kms') serverSideEncryption = { mode: 'aws:kms', ...(e.CAIRN_S3_SSE_KMS_KEY_ID ? { keyId: e.CAIRN_S3_SSE_KMS_KEY_ID } : {}) };
  else if (e.CAIRN_S3_SSE_KMS_KEY_ID !== undefined) problems.push('CAIRN_S3_SSE_KMS_KEY_ID: set only with CAIRN_S3_SSE=aws:kms');
  let credentials: S3CredentialSource | undefined;
  if (required) {
    if (!e.CAIRN_S3_ENDPOINT) problems.push('CAIRN_S3_ENDPOINT: required when CAIRN_ARTIFACT_ROOT is s3:// (e.g. https://s3.eu-west-1.amazonaws.com)');
    credentials = s3CredentialSource(e, env, region, problems);
  }
  return { endpoint: e.CAIRN_S3_ENDPOINT, region, credentials, pathStyle: e.CAIRN_S3_PATH_STYLE, serverSideEncryption };
}

/**
 * The first source that is configured, in the AWS SDKs' order: Cairn's own keys, the AWS key
 * variables, a web identity token (EKS IRSA), a container credentials endpoint (EKS Pod Identity,
 * ECS), the instance profile if asked for. Only the presence of the variables is checked here.
 */
function s3CredentialSource(e: Environment, env: Record<string, string | undefined>, region: string, problems: string[]): S3CredentialSource | undefined {
  const variable = (name: string) => nonEmpty(env[name]);
  if (e.CAIRN_S3_ACCESS_KEY !== undefined || e.CAIRN_S3_SECRET_KEY !== undefined) {
    if (e.CAIRN_S3_ACCESS_KEY === undefined || e.CAIRN_S3_SECRET_KEY === undefined) {
      problems.push('CAIRN_S3_ACCESS_KEY, CAIRN_S3_SECRET_KEY: set both, or neither to use the AWS credential chain');
      return undefined;
    }
    return { source: 'static', accessKey: e.CAIRN_S3_ACCESS_KEY, secretKey: e.CAIRN_S3_SECRET_KEY };
  }
  const accessKeyId = variable('AWS_ACCESS_KEY_ID');
  const secretAccessKey = variable('AWS_SECRET_ACCESS_KEY');
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    const sessionToken = variable('AWS_SESSION_TOKEN');
    return { source: 'static', accessKey: accessKeyId, secretKey: secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  const tokenFile = variable('AWS_WEB_IDENTITY_TOKEN_FILE');
  if (tokenFile !== undefined) {
    const roleArn = variable('AWS_ROLE_ARN');
    if (roleArn === undefined) {
      problems.push(
        'AWS_ROLE_ARN: required with AWS_WEB_IDENTITY_TOKEN_FILE (the role to assume; EKS sets both for a service account annotated eks.amazonaws.com/role-arn)',
      );
      return undefined;
    }
    const stsRegion = variable('AWS_REGION') ?? variable('AWS_DEFAULT_REGION') ?? region;
    return {
      source: 'web-identity',
      tokenFile,
      roleArn,
      sessionName: variable('AWS_ROLE_SESSION_NAME') ?? `cairn-${e.CAIRN_SERVICE_NAME}-${os.hostname()}`.slice(0, 64),
      stsEndpoint: variable('AWS_ENDPOINT_URL_STS') ?? `https://sts.${stsRegion}.amazonaws.com${stsRegion.startsWith('cn-') ? '.cn' : ''}`,
    };
  }
  const fullUri = variable('AWS_CONTAINER_CREDENTIALS_FULL_URI');
  const relativeUri = variable('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
  if (fullUri !== undefined || relativeUri !== undefined) {
    if (fullUri !== undefined && !containerCredentialsUriAllowed(fullUri))
      problems.push(
        'AWS_CONTAINER_CREDENTIALS_FULL_URI: over http only a loopback address or the ECS/EKS agents (169.254.170.2, 169.254.170.23, fd00:ec2::23) may be asked (the authorization token goes with the request); use https otherwise',
      );
    const tokenFileName = variable('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE');
    const token = variable('AWS_CONTAINER_AUTHORIZATION_TOKEN');
    return {
      source: 'container',
      url: fullUri ?? `http://169.254.170.2${relativeUri}`,
      ...(tokenFileName !== undefined ? { authorizationTokenFile: tokenFileName } : token !== undefined ? { authorizationToken: token } : {}),
    };
  }
  if (e.CAIRN_S3_INSTANCE_PROFILE) return { source: 'instance-profile', endpoint: variable('AWS_EC2_METADATA_SERVICE_ENDPOINT') ?? 'http://169.254.169.254' };
  problems.push(
    'CAIRN_S3_ACCESS_KEY: no S3 credentials for the s3:// artifact root. Set CAIRN_S3_ACCESS_KEY and CAIRN_S3_SECRET_KEY; ' +
      'or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; or AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (EKS IRSA); ' +
      'or AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity, ECS); or CAIRN_S3_INSTANCE_PROFILE=true (EC2 instance profile)',
  );
  return undefined;
}

/** As the AWS SDKs allow it: https anywhere; plain http only to loopback or the container agents' link-local addresses. */
const CONTAINER_AGENT_HOSTS = new Set(['169.254.170.2', '169.254.170.23', 'fd00:ec2::23']);
function containerCredentialsUriAllowed(uri: string): boolean {
  try {
    const url = new URL(uri);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return url.protocol === 'https:' || (url.protocol === 'http:' && (isLoopbackHost(host) || CONTAINER_AGENT_HOSTS.has(host)));
  } catch {
    return false;
  }
}

const nonEmpty = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);

function kafkaSettings(e: Environment, env: Record<string, string | undefined>, problems: string[], readFile: (file: string) => string): KafkaSettings {
  const readConfigFile = (variable: string, file: string): string | undefined => {
    try {
      return readFile(file);
    } catch (error) {
      // The variable and the path, never the file's contents.
      problems.push(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      return undefined;
    }
  };
  let tls: KafkaSettings['tls'];
  if (e.CAIRN_KAFKA_TLS) {
    let ca: string[] | undefined;
    if (e.CAIRN_KAFKA_TLS_CA_FILE !== undefined) {
      const pem = readConfigFile('CAIRN_KAFKA_TLS_CA_FILE', e.CAIRN_KAFKA_TLS_CA_FILE);
      if (pem !== undefined && !pem.includes('-----BEGIN CERTIFICATE-----'))
        problems.push(`CAIRN_KAFKA_TLS_CA_FILE: ${e.CAIRN_KAFKA_TLS_CA_FILE} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
      // Node drops its own CAs (and NODE_EXTRA_CA_CERTS) when given any: keep them, so the file only adds.
      const extra = env['NODE_EXTRA_CA_CERTS'] ? readConfigFile('NODE_EXTRA_CA_CERTS', env['NODE_EXTRA_CA_CERTS']) : undefined;
      ca = [...rootCertificates, ...(extra === undefined ? [] : [extra]), ...(pem === undefined ? [] : [pem])];
    }
    tls = { ca };
  } else if (e.CAIRN_KAFKA_TLS_CA_FILE !== undefined) {
    problems.push('CAIRN_KAFKA_TLS_CA_FILE: set, but CAIRN_KAFKA_TLS is not true (set CAIRN_KAFKA_TLS=true to connect with TLS)');
  }

  const secretFrom = (value: string | undefined, fileVariable: string, file: string | undefined): string | undefined => {
    // A mounted Secret file usually ends with a newline that is not part of the secret.
    const secret = value ?? (file === undefined ? undefined : readConfigFile(fileVariable, file)?.replace(/\r?\n$/, ''));
    if (file !== undefined && secret === '') problems.push(`${fileVariable}: ${file} is empty`);
    return secret || undefined;
  };
  const onlyOne = (name: string, value: string | undefined, file: string | undefined, mechanism: string) => {
    if (value !== undefined && file !== undefined) problems.push(`${name}: set together with ${name}_FILE (set only one)`);
    else if (value === undefined && file === undefined) problems.push(`${name} or ${name}_FILE: required when CAIRN_KAFKA_SASL_MECHANISM is ${mechanism}`);
  };
  const unused = (variables: Record<string, string | undefined>, why: string) => {
    for (const [name, value] of Object.entries(variables)) if (value !== undefined) problems.push(`${name}: set, but ${why}`);
  };
  const mechanism = e.CAIRN_KAFKA_SASL_MECHANISM;
  const { CAIRN_KAFKA_SASL_USERNAME: username, CAIRN_KAFKA_SASL_PASSWORD: password, CAIRN_KAFKA_SASL_PASSWORD_FILE: passwordFile } = e;
  const passwordVariables = { CAIRN_KAFKA_SASL_USERNAME: username, CAIRN_KAFKA_SASL_PASSWORD: password, CAIRN_KAFKA_SASL_PASSWORD_FILE: passwordFile };
  const oauthVariables = {
    CAIRN_KAFKA_OAUTH_TOKEN_URL: e.CAIRN_KAFKA_OAUTH_TOKEN_URL,
    CAIRN_KAFKA_OAUTH_CLIENT_ID: e.CAIRN_KAFKA_OAUTH_CLIENT_ID,
    CAIRN_KAFKA_OAUTH_CLIENT_SECRET: e.CAIRN_KAFKA_OAUTH_CLIENT_SECRET,
    CAIRN_KAFKA_OAUTH_CLIENT_SECRET_FILE: e.CAIRN_KAFKA_OAUTH_CLIENT_SECRET_FILE,
    CAIRN_KAFKA_OAUTH_SCOPE: e.CAIRN_KAFKA_OAUTH_SCOPE,
    CAIRN_KAFKA_OAUTH_RESOURCE: e.CAIRN_KAFKA_OAUTH_RESOURCE,
    CAIRN_KAFKA_OAUTH_AUDIENCE: e.CAIRN_KAFKA_OAUTH_AUDIENCE,
  };
  let sasl: KafkaSettings['sasl'];
  if (mechanism === undefined) {
    unused(passwordVariables, 'CAIRN_KAFKA_SASL_MECHANISM is not (plain, scram-sha-256 or scram-sha-512)');
    unused(oauthVariables, 'CAIRN_KAFKA_SASL_MECHANISM is not oauthbearer');
  } else if (mechanism === 'oauthbearer') {
    unused(passwordVariables, 'CAIRN_KAFKA_SASL_MECHANISM is oauthbearer (the client id and secret authenticate)');
    const { CAIRN_KAFKA_OAUTH_TOKEN_URL: tokenUrl, CAIRN_KAFKA_OAUTH_CLIENT_ID: clientId } = e;
    if (tokenUrl === undefined) problems.push('CAIRN_KAFKA_OAUTH_TOKEN_URL: required when CAIRN_KAFKA_SASL_MECHANISM is oauthbearer');
    // The client secret is sent to it: in the clear only to this machine.
    else if (new URL(tokenUrl).protocol === 'http:' && !isLoopbackHost(new URL(tokenUrl).hostname.replace(/^\[|\]$/g, '')))
      problems.push(
        `CAIRN_KAFKA_OAUTH_TOKEN_URL: must be https:// (the client secret is sent to it), got ${new URL(tokenUrl).protocol}//${new URL(tokenUrl).host}`,
      );
    if (clientId === undefined) problems.push('CAIRN_KAFKA_OAUTH_CLIENT_ID: required when CAIRN_KAFKA_SASL_MECHANISM is oauthbearer');
    onlyOne('CAIRN_KAFKA_OAUTH_CLIENT_SECRET', e.CAIRN_KAFKA_OAUTH_CLIENT_SECRET, e.CAIRN_KAFKA_OAUTH_CLIENT_SECRET_FILE, mechanism);
    const clientSecret = secretFrom(e.CAIRN_KAFKA_OAUTH_CLIENT_SECRET, 'CAIRN_KAFKA_OAUTH_CLIENT_SECRET_FILE', e.CAIRN_KAFKA_OAUTH_CLIENT_SECRET_FILE);
    if (tokenUrl !== undefined && clientId !== undefined && clientSecret !== undefined) {
      const { CAIRN_KAFKA_OAUTH_SCOPE: scope, CAIRN_KAFKA_OAUTH_RESOURCE: resource, CAIRN_KAFKA_OAUTH_AUDIENCE: audience } = e;
      sasl = { mechanism, oauth: { tokenUrl, clientId, clientSecret, scope, resource, audience } };
    }
  } else {
    unused(oauthVariables, `CAIRN_KAFKA_SASL_MECHANISM is ${mechanism}, not oauthbearer`);
    if (username === undefined) problems.push(`CAIRN_KAFKA_SASL_USERNAME: required when CAIRN_KAFKA_SASL_MECHANISM is ${mechanism}`);
    onlyOne('CAIRN_KAFKA_SASL_PASSWORD', password, passwordFile, mechanism);
    const secret = secretFrom(password, 'CAIRN_KAFKA_SASL_PASSWORD_FILE', passwordFile);
    if (username !== undefined && secret !== undefined) sasl = { mechanism, username, password: secret };
  }
  return {
    tls,
    sasl,
    topics: {
      partitions: e.CAIRN_KAFKA_TOPIC_PARTITIONS,
      replicationFactor: e.CAIRN_KAFKA_TOPIC_REPLICATION_FACTOR,
      retentionMs: e.CAIRN_KAFKA_TOPIC_RETENTION_MS,
    },
    createTopics: e.CAIRN_KAFKA_CREATE_TOPICS,
  };
}

function parseArtifactRoot(uri: string): ArtifactRoot {
  if (uri.startsWith('file://')) return { kind: 'file', directory: path.resolve(decodeURIComponent(uri.slice('file://'.length))) };
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  return { kind: 's3', bucket, prefix };
}
