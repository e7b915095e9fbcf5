/**
 * The bus authenticating with SASL/OAUTHBEARER, as clusters run behind an identity provider: Cairn
 * gets a JWT from a real OpenID provider's token endpoint (oidc-provider, client credentials), and a
 * real broker (Kafka 3.9, this file's own) validates it against the provider's JWKS, issuer and
 * audience (KIP-768). Nothing in between is a stand-in.
 */
import { readFileSync } from 'node:fs';
import {
  createTestDatabase,
  freePort,
  runMigrateJob,
  signingKey,
  startOidcProvider,
  startPrivateKafka,
  type PrivateKafka,
  type ProviderSettings,
  type RunningProvider,
} from '@cairn/testing';
import { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus';
import type { OAuthClientCredentials } from './oauth-bearer';
import {
  append,
  counted,
  counterProjection,
  createEventingTestDatabase,
  OutcomeCounter,
  unique,
  uniqueTopic,
  type EventingTestDatabase,
} from '../testing/eventing-test-support';

jest.setTimeout(120_000);

const KAFKA_AUDIENCE = 'https://kafka.cairn.test';
const OTHER_AUDIENCE = 'https://other.cairn.test';
const SECRET = 'kafka-client-secret-for-the-oauthbearer-tests';

describe('Kafka with SASL/OAUTHBEARER tokens from an OpenID provider', () => {
  let env: EventingTestDatabase;
  let provider: RunningProvider;
  let kafka: PrivateKafka;
  let ca: string;
  let issuer: string;
  let settings: ProviderSettings;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const client = { client_secret: SECRET, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };
    settings = {
      port,
      issuer,
      keys: [await signingKey('kafka-k1')],
      resources: [KAFKA_AUDIENCE, OTHER_AUDIENCE],
      clients: [{ client_id: 'cairn-kafka', ...client }],
      claimsInIdToken: false,
      accountGroups: {},
      clientGroups: {},
    };
    [env, provider] = await Promise.all([createEventingTestDatabase(), startOidcProvider(settings)]);
    // The broker reads the provider's keys at start, so the provider comes first.
    kafka = await startPrivateKafka({ security: 'sasl-ssl', oauthBearer: { jwksUrl: `${issuer}/jwks`, issuer, audience: KAFKA_AUDIENCE } });
    ca = readFileSync(kafka.caFile ?? '', 'utf8');
  });
  afterAll(async () => {
    await kafka?.destroy();
    await provider?.stop();
    await env?.close();
  });

  const busWith = (oauth: Partial<OAuthClientCredentials>, options: Partial<KafkaEventBusOptions> = {}) =>
    new KafkaEventBus({
      brokers: [kafka.brokers],
      clientId: unique('oauth'),
      database: env.db,
      tls: { ca: [ca] },
      sasl: {
        mechanism: 'oauthbearer',
        oauth: { tokenUrl: `${issuer}/token`, clientId: 'cairn-kafka', clientSecret: SECRET, scope: 'api', resource: KAFKA_AUDIENCE, ...oauth },
      },
      consumer: { maxWaitTimeInMs: 250 },
      readyTimeoutMs: 60_000,
      ...options,
    });

  it('publishes and consumes with a client-credentials token the broker verified against the provider’s keys', async () => {
    const topic = uniqueTopic();
    const bus = busWith({}, { topics: [topic] });
    try {
      await bus.start();
      const consumer = unique('oauth');
      const outcomes = new OutcomeCounter();
      await bus.subscribe({ consumer, context: 'registry', topics: [topic], handler: counterProjection(consumer), onOutcome: outcomes.onOutcome });
      await bus.publish(topic, await append(env.db, [counted('run-1'), counted('run-2')]));
      await outcomes.reach('applied', 2);
    } finally {
      await bus.stop();
    }
  });

  it('configured from the environment, the migration Job declares the topics with its token (CAIRN_KAFKA_OAUTH_*)', async () => {
    const database = await createTestDatabase({ migrated: false });
    try {
      const job = await runMigrateJob({
        CAIRN_DATABASE_URL: database.url,
        CAIRN_KAFKA_BROKERS: kafka.brokers,
        CAIRN_KAFKA_TOPIC_PREFIX: `${unique('oauth-job')}.`,
        CAIRN_KAFKA_TLS: 'true',
        CAIRN_KAFKA_TLS_CA_FILE: kafka.caFile ?? '',
        CAIRN_KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
        CAIRN_KAFKA_OAUTH_TOKEN_URL: `${issuer}/token`,
        CAIRN_KAFKA_OAUTH_CLIENT_ID: 'cairn-kafka',
        CAIRN_KAFKA_OAUTH_CLIENT_SECRET: SECRET,
        CAIRN_KAFKA_OAUTH_SCOPE: 'api',
        CAIRN_KAFKA_OAUTH_RESOURCE: KAFKA_AUDIENCE,
      });
      expect(job).toEqual({ code: 0, output: expect.stringContaining('Kafka topics declared') });
      expect(job.output).not.toContain(SECRET);
    } finally {
      await database.drop();
    }
  });

  it('waits for a token endpoint that is down at start, and starts once it answers', async () => {
    await provider.stop();
    const bus = busWith({});
    try {
      const starting = bus.start();
      const early = await Promise.race([
        starting.then(
          () => 'started',
          () => 'failed',
        ),
        new Promise((resolve) => setTimeout(resolve, 2_000, 'waiting')),
      ]);
      expect(early).toBe('waiting');
      provider = await startOidcProvider(settings);
      await starting;
      await bus.ping();
    } finally {
      await bus.stop();
    }
  });

  it('does not start with a token for another audience: the broker checks the token, it does not take any bearer', async () => {
    // The broker answers a refused token by closing the connection (kafkajs does not speak
    // OAUTHBEARER's error exchange), which looks like a network fault: the start waits out its ready
    // timeout, then fails.
    const bus = busWith({ resource: OTHER_AUDIENCE }, { readyTimeoutMs: 5_000 });
    try {
      await expect(bus.start()).rejects.toThrow(/Kafka not ready after 5000 ms: the brokers to accept a producer connection/);
    } finally {
      await bus.stop();
    }
  });

  it('fails to start saying why the token endpoint refused a wrong client secret, without repeating it', async () => {
    const wrong = `wrong-${SECRET}`;
    const bus = busWith({ clientSecret: wrong });
    try {
      const failure = bus.start();
      await expect(failure).rejects.toThrow(/token endpoint .* refused client cairn-kafka \(401, invalid_client/);
      await expect(failure).rejects.not.toThrow(new RegExp(wrong));
    } finally {
      await bus.stop();
    }
  });
});
