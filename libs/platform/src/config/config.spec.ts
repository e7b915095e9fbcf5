import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('means embedded defaults when nothing is set', () => {
    const config = loadConfig({ HOME: '/home/ana' });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 5000, databaseUrl: undefined, kafkaBrokers: undefined, logLevel: 'info' });
    expect(config.artifactRoot).toEqual({ kind: 'file', directory: path.join(config.home, 'artifacts') });
  });

  it('reads external services when set', () => {
    const config = loadConfig({
      CAIRN_PORT: '8080',
      CAIRN_DATABASE_URL: 'postgres://u:p@db:5432/cairn',
      CAIRN_KAFKA_BROKERS: 'k1:9092,k2:9092',
      CAIRN_ARTIFACT_ROOT: 's3://models/prod/',
      CAIRN_S3_ENDPOINT: 'http://minio:9000',
      CAIRN_S3_ACCESS_KEY: 'a',
      CAIRN_S3_SECRET_KEY: 's',
    });
    expect(config).toMatchObject({ port: 8080, databaseUrl: 'postgres://u:p@db:5432/cairn', kafkaBrokers: ['k1:9092', 'k2:9092'] });
    expect(config.artifactRoot).toEqual({ kind: 's3', bucket: 'models', prefix: 'prod' });
  });

  it('treats an empty variable as absent', () => {
    expect(loadConfig({ CAIRN_PORT: '', CAIRN_DATABASE_URL: ' ' })).toMatchObject({ port: 5000, databaseUrl: undefined });
  });

  it('fails at boot with every bad variable listed, not only the first', () => {
    const attempt = () =>
      loadConfig({
        CAIRN_PORT: 'eighty',
        CAIRN_DATABASE_URL: 'mysql://x',
        CAIRN_KAFKA_BROKERS: 'no-port',
        CAIRN_LOG_LEVEL: 'loud',
        CAIRN_ARTIFACT_ROOT: 'file://relative',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['CAIRN_PORT', 'CAIRN_DATABASE_URL', 'CAIRN_KAFKA_BROKERS', 'CAIRN_LOG_LEVEL', 'CAIRN_ARTIFACT_ROOT'])
        expect(problems).toContain(name);
    }
  });

  describe('in a service process (anything but the all-in-one server)', () => {
    const service = { CAIRN_SERVICE_NAME: 'registry-service' };
    const external = { CAIRN_DATABASE_URL: 'postgres://u:p@db:5432/cairn', CAIRN_KAFKA_BROKERS: 'k1:9092' };

    it('refuses to start without CAIRN_DATABASE_URL or CAIRN_KAFKA_BROKERS, naming each, instead of falling back to embedded ones', () => {
      expect(() => loadConfig(service, { embeddedDefaults: false })).toThrow(
        new ConfigError([
          'CAIRN_DATABASE_URL: required by registry-service (only the all-in-one server falls back to an embedded Postgres)',
          'CAIRN_KAFKA_BROKERS: required by registry-service (only the all-in-one server falls back to the in-process bus)',
        ]),
      );
    });

    it('counts an empty or blank value as missing', () => {
      expect(() => loadConfig({ ...service, ...external, CAIRN_DATABASE_URL: '' }, { embeddedDefaults: false })).toThrow(
        /CAIRN_DATABASE_URL: required by registry-service/,
      );
      expect(() => loadConfig({ ...service, ...external, CAIRN_KAFKA_BROKERS: '  ' }, { embeddedDefaults: false })).toThrow(
        /CAIRN_KAFKA_BROKERS: required by registry-service/,
      );
    });

    it('starts with both set', () => {
      expect(loadConfig({ ...service, ...external }, { embeddedDefaults: false })).toMatchObject({
        databaseUrl: external.CAIRN_DATABASE_URL,
        kafkaBrokers: ['k1:9092'],
      });
    });

    it('while the all-in-one server keeps its embedded defaults', () => {
      expect(loadConfig({ CAIRN_SERVICE_NAME: 'server' }, { embeddedDefaults: true })).toMatchObject({ databaseUrl: undefined, kafkaBrokers: undefined });
    });
  });

  it('waits 60 s for Kafka to be ready at start unless told otherwise', () => {
    expect(loadConfig({}).kafkaReadyTimeoutMs).toBe(60_000);
    expect(loadConfig({ CAIRN_KAFKA_READY_TIMEOUT_MS: '5000' }).kafkaReadyTimeoutMs).toBe(5_000);
    expect(() => loadConfig({ CAIRN_KAFKA_READY_TIMEOUT_MS: '-1' })).toThrow(/CAIRN_KAFKA_READY_TIMEOUT_MS/);
  });

  describe('S3 as AWS users configure it', () => {
    const s3 = { CAIRN_ARTIFACT_ROOT: 's3://bucket', CAIRN_S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com' };

    it('refuses to boot with an s3:// root and no credential source, naming every source', () => {
      expect(() => loadConfig({ CAIRN_ARTIFACT_ROOT: 's3://bucket' })).toThrow(/CAIRN_S3_ENDPOINT: required/);
      let message = '';
      try {
        loadConfig(s3);
      } catch (error) {
        message = (error as Error).message;
      }
      for (const variable of [
        'CAIRN_S3_ACCESS_KEY',
        'AWS_ACCESS_KEY_ID',
        'AWS_WEB_IDENTITY_TOKEN_FILE',
        'AWS_CONTAINER_CREDENTIALS_FULL_URI',
        'CAIRN_S3_INSTANCE_PROFILE',
      ])
        expect(message).toContain(variable);
    });

    it("takes Cairn's own keys first, then the AWS key variables with their session token", () => {
      const aws = {
        AWS_ACCESS_KEY_ID: 'AKIA',
        AWS_SECRET_ACCESS_KEY: 'aws-secret',
        AWS_SESSION_TOKEN: 'tok',
        AWS_WEB_IDENTITY_TOKEN_FILE: '/t',
        AWS_ROLE_ARN: 'arn',
      };
      expect(loadConfig({ ...s3, ...aws, CAIRN_S3_ACCESS_KEY: 'a', CAIRN_S3_SECRET_KEY: 's' }).s3.credentials).toEqual({
        source: 'static',
        accessKey: 'a',
        secretKey: 's',
      });
      expect(loadConfig({ ...s3, ...aws }).s3.credentials).toEqual({ source: 'static', accessKey: 'AKIA', secretKey: 'aws-secret', sessionToken: 'tok' });
      expect(() => loadConfig({ ...s3, CAIRN_S3_ACCESS_KEY: 'a' })).toThrow(/CAIRN_S3_ACCESS_KEY, CAIRN_S3_SECRET_KEY: set both/);
    });

    it('uses the web identity token EKS mounts for a service account with a role (IRSA), against the regional STS', () => {
      const env = {
        ...s3,
        AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
        AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/cairn',
      };
      const config = loadConfig({ ...env, AWS_REGION: 'eu-west-1', CAIRN_SERVICE_NAME: 'artifact-service' });
      expect(config.s3.credentials).toMatchObject({
        source: 'web-identity',
        tokenFile: env.AWS_WEB_IDENTITY_TOKEN_FILE,
        roleArn: env.AWS_ROLE_ARN,
        sessionName: expect.stringMatching(/^cairn-artifact-service-/),
        stsEndpoint: 'https://sts.eu-west-1.amazonaws.com',
      });
      // The S3 region follows AWS_REGION when CAIRN_S3_REGION is not set.
      expect(config.s3.region).toBe('eu-west-1');
      expect(loadConfig({ ...env, AWS_REGION: 'cn-north-1' }).s3.credentials).toMatchObject({ stsEndpoint: 'https://sts.cn-north-1.amazonaws.com.cn' });
      expect(() => loadConfig({ ...s3, AWS_WEB_IDENTITY_TOKEN_FILE: '/t' })).toThrow(/AWS_ROLE_ARN: required with AWS_WEB_IDENTITY_TOKEN_FILE/);
    });

    it('uses the container credentials endpoint (EKS Pod Identity, ECS), and the instance profile only when asked to', () => {
      expect(
        loadConfig({
          ...s3,
          AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
          AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/token',
        }).s3.credentials,
      ).toEqual({ source: 'container', url: 'http://169.254.170.23/v1/credentials', authorizationTokenFile: '/var/run/token' });
      expect(loadConfig({ ...s3, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x' }).s3.credentials).toEqual({
        source: 'container',
        url: 'http://169.254.170.2/v2/credentials/x',
      });
      expect(loadConfig({ ...s3, CAIRN_S3_INSTANCE_PROFILE: 'true' }).s3.credentials).toEqual({
        source: 'instance-profile',
        endpoint: 'http://169.254.169.254',
      });
    });

    it('sends the container authorization token over plain http only to loopback or the container agents', () => {
      for (const url of ['http://127.0.0.1:9911/creds', 'http://[::1]/creds', 'http://[fd00:ec2::23]/v1/credentials', 'https://creds.example.com/x'])
        expect(loadConfig({ ...s3, AWS_CONTAINER_CREDENTIALS_FULL_URI: url }).s3.credentials).toMatchObject({ source: 'container', url });
      expect(() => loadConfig({ ...s3, AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://creds.example.com/x' })).toThrow(
        /AWS_CONTAINER_CREDENTIALS_FULL_URI: over http only/,
      );
    });

    it('addresses buckets path-style unless told otherwise, and encrypts with SSE-S3 or SSE-KMS when asked', () => {
      const keys = { ...s3, CAIRN_S3_ACCESS_KEY: 'a', CAIRN_S3_SECRET_KEY: 's' };
      expect(loadConfig(keys).s3).toMatchObject({ pathStyle: true, serverSideEncryption: undefined, region: 'us-east-1' });
      expect(loadConfig({ ...keys, CAIRN_S3_PATH_STYLE: 'false' }).s3.pathStyle).toBe(false);
      expect(loadConfig({ ...keys, CAIRN_S3_SSE: 'AES256' }).s3.serverSideEncryption).toEqual({ mode: 'AES256' });
      expect(loadConfig({ ...keys, CAIRN_S3_SSE: 'aws:kms' }).s3.serverSideEncryption).toEqual({ mode: 'aws:kms' });
      expect(loadConfig({ ...keys, CAIRN_S3_SSE: 'aws:kms', CAIRN_S3_SSE_KMS_KEY_ID: 'alias/cairn' }).s3.serverSideEncryption).toEqual({
        mode: 'aws:kms',
        keyId: 'alias/cairn',
      });
      expect(() => loadConfig({ ...keys, CAIRN_S3_SSE_KMS_KEY_ID: 'alias/cairn' })).toThrow(/CAIRN_S3_SSE_KMS_KEY_ID: set only with CAIRN_S3_SSE=aws:kms/);
      expect(() => loadConfig({ ...keys, CAIRN_S3_SSE: 'kms' })).toThrow(/CAIRN_S3_SSE: must be none, AES256/);
    });
  });

  describe('Kafka on a secured cluster', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-config-'));
    const file = (name: string, text: string) => {
      const full = path.join(dir, name);
      writeFileSync(full, text);
      return full;
    };
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      throw new Error('expected a ConfigError');
    };

    it('is plaintext without SASL, creating 3-partition topics with the broker defaults, unless told otherwise', () => {
      expect(loadConfig({}).kafka).toEqual({
        tls: undefined,
        sasl: undefined,
        topics: { partitions: 3, replicationFactor: undefined, retentionMs: undefined },
        createTopics: true,
      });
      expect(
        loadConfig({
          CAIRN_KAFKA_TOPIC_PARTITIONS: '12',
          CAIRN_KAFKA_TOPIC_REPLICATION_FACTOR: '3',
          CAIRN_KAFKA_TOPIC_RETENTION_MS: '-1',
          CAIRN_KAFKA_CREATE_TOPICS: 'false',
        }).kafka,
      ).toMatchObject({ topics: { partitions: 12, replicationFactor: 3, retentionMs: -1 }, createTopics: false });
      expect(problemsOf({ CAIRN_KAFKA_TOPIC_RETENTION_MS: '0', CAIRN_KAFKA_TOPIC_REPLICATION_FACTOR: '0' }).join('\n')).toMatch(
        /CAIRN_KAFKA_TOPIC_REPLICATION_FACTOR[\s\S]*CAIRN_KAFKA_TOPIC_RETENTION_MS: must be a positive number of milliseconds, or -1/,
      );
    });

    it("TLS trusts Node's CAs, and with a CA file that file on top of them", () => {
      expect(loadConfig({ CAIRN_KAFKA_TLS: 'true' }).kafka.tls).toEqual({ ca: undefined });
      const ca = loadConfig({ CAIRN_KAFKA_TLS: 'true', CAIRN_KAFKA_TLS_CA_FILE: file('ca.pem', pem) }).kafka.tls?.ca;
      expect(ca).toEqual([...rootCertificates, pem]);
      const extra = file('extra.pem', pem.replace('MIIB', 'MIIC'));
      expect(loadConfig({ CAIRN_KAFKA_TLS: 'true', CAIRN_KAFKA_TLS_CA_FILE: file('ca.pem', pem), NODE_EXTRA_CA_CERTS: extra }).kafka.tls?.ca).toEqual([
        ...rootCertificates,
        pem.replace('MIIB', 'MIIC'),
        pem,
      ]);
    });

    it('refuses a CA file that is missing, not PEM, or given without TLS', () => {
      expect(problemsOf({ CAIRN_KAFKA_TLS: 'true', CAIRN_KAFKA_TLS_CA_FILE: path.join(dir, 'nope.pem') })).toEqual([
        `CAIRN_KAFKA_TLS_CA_FILE: cannot read ${path.join(dir, 'nope.pem')} (ENOENT)`,
      ]);
      expect(problemsOf({ CAIRN_KAFKA_TLS: 'true', CAIRN_KAFKA_TLS_CA_FILE: file('key.txt', 'hello') })).toEqual([
        `CAIRN_KAFKA_TLS_CA_FILE: ${path.join(dir, 'key.txt')} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      ]);
      expect(problemsOf({ CAIRN_KAFKA_TLS_CA_FILE: file('ca.pem', pem) })).toEqual([
        'CAIRN_KAFKA_TLS_CA_FILE: set, but CAIRN_KAFKA_TLS is not true (set CAIRN_KAFKA_TLS=true to connect with TLS)',
      ]);
    });

    it('reads SASL credentials from the variables or from a mounted file, without its trailing newline', () => {
      expect(
        loadConfig({ CAIRN_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', CAIRN_KAFKA_SASL_USERNAME: 'cairn', CAIRN_KAFKA_SASL_PASSWORD: 's3cret' }).kafka.sasl,
      ).toEqual({ mechanism: 'scram-sha-512', username: 'cairn', password: 's3cret' });
      expect(
        loadConfig({
          CAIRN_KAFKA_SASL_MECHANISM: 'plain',
          CAIRN_KAFKA_SASL_USERNAME: 'cairn',
          CAIRN_KAFKA_SASL_PASSWORD_FILE: file('password', 'from-a-secret\n'),
        }).kafka.sasl,
      ).toEqual({ mechanism: 'plain', username: 'cairn', password: 'from-a-secret' });
    });

    it('says what is missing or contradictory in SASL settings, all at once', () => {
      expect(problemsOf({ CAIRN_KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toEqual([
        'CAIRN_KAFKA_SASL_USERNAME: required when CAIRN_KAFKA_SASL_MECHANISM is scram-sha-256',
        'CAIRN_KAFKA_SASL_PASSWORD or CAIRN_KAFKA_SASL_PASSWORD_FILE: required when CAIRN_KAFKA_SASL_MECHANISM is scram-sha-256',
      ]);
      expect(
        problemsOf({
          CAIRN_KAFKA_SASL_MECHANISM: 'plain',
          CAIRN_KAFKA_SASL_USERNAME: 'u',
          CAIRN_KAFKA_SASL_PASSWORD: 'p',
          CAIRN_KAFKA_SASL_PASSWORD_FILE: file('password', 'p'),
        }),
      ).toEqual(['CAIRN_KAFKA_SASL_PASSWORD: set together with CAIRN_KAFKA_SASL_PASSWORD_FILE (set only one)']);
      expect(problemsOf({ CAIRN_KAFKA_SASL_USERNAME: 'u', CAIRN_KAFKA_SASL_PASSWORD: 'p' })).toEqual([
        'CAIRN_KAFKA_SASL_USERNAME: set, but CAIRN_KAFKA_SASL_MECHANISM is not (plain, scram-sha-256 or scram-sha-512)',
        'CAIRN_KAFKA_SASL_PASSWORD: set, but CAIRN_KAFKA_SASL_MECHANISM is not (plain, scram-sha-256 or scram-sha-512)',
      ]);
      expect(problemsOf({ CAIRN_KAFKA_SASL_MECHANISM: 'plain', CAIRN_KAFKA_SASL_USERNAME: 'u', CAIRN_KAFKA_SASL_PASSWORD_FILE: file('empty', '\n') })).toEqual([
        `CAIRN_KAFKA_SASL_PASSWORD_FILE: ${path.join(dir, 'empty')} is empty`,
      ]);
    });

    it('takes OAUTHBEARER client credentials for a token endpoint, the secret from a variable or a mounted file', () => {
      const oauth = {
        CAIRN_KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
        CAIRN_KAFKA_OAUTH_TOKEN_URL: 'https://idp.example.com/oauth2/token',
        CAIRN_KAFKA_OAUTH_CLIENT_ID: 'cairn-kafka',
        CAIRN_KAFKA_OAUTH_SCOPE: 'kafka',
      };
      expect(loadConfig({ ...oauth, CAIRN_KAFKA_OAUTH_CLIENT_SECRET: 's3cret' }).kafka.sasl).toEqual({
        mechanism: 'oauthbearer',
        oauth: { tokenUrl: 'https://idp.example.com/oauth2/token', clientId: 'cairn-kafka', clientSecret: 's3cret', scope: 'kafka' },
      });
      expect(loadConfig({ ...oauth, CAIRN_KAFKA_OAUTH_CLIENT_SECRET_FILE: file('client-secret', 'mounted\n') }).kafka.sasl).toMatchObject({
        oauth: { clientSecret: 'mounted' },
      });
    });

    it('says what is missing or contradictory in OAUTHBEARER settings, and sends a client secret over plain HTTP only on loopback', () => {
      expect(problemsOf({ CAIRN_KAFKA_SASL_MECHANISM: 'oauthbearer', CAIRN_KAFKA_SASL_USERNAME: 'u' })).toEqual([
        'CAIRN_KAFKA_SASL_USERNAME: set, but CAIRN_KAFKA_SASL_MECHANISM is oauthbearer (the client id and secret authenticate)',
        'CAIRN_KAFKA_OAUTH_TOKEN_URL: required when CAIRN_KAFKA_SASL_MECHANISM is oauthbearer',
        'CAIRN_KAFKA_OAUTH_CLIENT_ID: required when CAIRN_KAFKA_SASL_MECHANISM is oauthbearer',
        'CAIRN_KAFKA_OAUTH_CLIENT_SECRET or CAIRN_KAFKA_OAUTH_CLIENT_SECRET_FILE: required when CAIRN_KAFKA_SASL_MECHANISM is oauthbearer',
      ]);
      const credentials = { CAIRN_KAFKA_SASL_MECHANISM: 'oauthbearer', CAIRN_KAFKA_OAUTH_CLIENT_ID: 'c', CAIRN_KAFKA_OAUTH_CLIENT_SECRET: 's' };
      // Only the scheme and host are echoed: credentials in the URL stay out of logs.
      expect(problemsOf({ ...credentials, CAIRN_KAFKA_OAUTH_TOKEN_URL: 'http://svc:hunter2@idp.example.com/token?key=k' })).toEqual([
        'CAIRN_KAFKA_OAUTH_TOKEN_URL: must be https:// (the client secret is sent to it), got http://idp.example.com',
      ]);
      expect(loadConfig({ ...credentials, CAIRN_KAFKA_OAUTH_TOKEN_URL: 'http://127.0.0.1:8080/token' }).kafka.sasl).toMatchObject({ mechanism: 'oauthbearer' });
      expect(
        problemsOf({ CAIRN_KAFKA_OAUTH_CLIENT_ID: 'c', CAIRN_KAFKA_SASL_MECHANISM: 'plain', CAIRN_KAFKA_SASL_USERNAME: 'u', CAIRN_KAFKA_SASL_PASSWORD: 'p' }),
      ).toEqual(['CAIRN_KAFKA_OAUTH_CLIENT_ID: set, but CAIRN_KAFKA_SASL_MECHANISM is plain, not oauthbearer']);
      expect(problemsOf({ CAIRN_KAFKA_OAUTH_TOKEN_URL: 'https://idp.example.com/token' })).toEqual([
        'CAIRN_KAFKA_OAUTH_TOKEN_URL: set, but CAIRN_KAFKA_SASL_MECHANISM is not oauthbearer',
      ]);
    });
  });

  it('never repeats a secret (or the password in a URL) in its error messages', () => {
    const attempt = () =>
      loadConfig({ CAIRN_WEBHOOK_SECRET_KEY: 'hunter2-not-hex', CAIRN_DATABASE_URL: 'mysql://app:hunter3@db/cairn', CAIRN_KAFKA_TLS: 'yes' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/CAIRN_WEBHOOK_SECRET_KEY: .*\(value hidden\)/);
    expect(attempt).toThrow(/CAIRN_DATABASE_URL: .*\(got "mysql:\/\/app:\*\*\*@db\/cairn"\)/);
    expect(attempt).not.toThrow(/hunter/);
  });

  describe('identity and access', () => {
    it('runs open only on a loopback address unless told to', () => {
      expect(loadConfig({}).auth).toMatchObject({ mode: 'none', openOnNetwork: false, defaultPermission: 'NO_PERMISSIONS' });
      expect(() => loadConfig({ CAIRN_HOST: '0.0.0.0' })).toThrow(/CAIRN_AUTH: required when listening on 0\.0\.0\.0/);
      expect(loadConfig({ CAIRN_HOST: '0.0.0.0', CAIRN_AUTH: 'none' }).auth).toMatchObject({ mode: 'none', openOnNetwork: true });
    });

    it('takes the first admin password from a file (a mounted Secret), and refuses a short one', () => {
      const files: Record<string, string> = { '/run/secrets/admin': 'correct-horse-battery\n', '/run/secrets/short': 'short' };
      const read = (file: string) => {
        const content = files[file];
        if (content === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return content;
      };
      expect(loadConfig({ CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD_FILE: '/run/secrets/admin' }, {}, read).auth.adminPassword).toBe('correct-horse-battery');
      expect(() => loadConfig({ CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD_FILE: '/run/secrets/short' }, {}, read)).toThrow(/at least 12 characters/);
      expect(() => loadConfig({ CAIRN_AUTH: 'basic', CAIRN_ADMIN_PASSWORD_FILE: '/nope' }, {}, read)).toThrow(/cannot read \/nope \(ENOENT\)/);
    });

    it('needs an issuer and an audience for OIDC', () => {
      expect(() => loadConfig({ CAIRN_AUTH: 'oidc' })).toThrow(/CAIRN_OIDC_ISSUER: required[\s\S]*CAIRN_OIDC_AUDIENCE: required/);
      expect(loadConfig({ CAIRN_AUTH: 'oidc', CAIRN_OIDC_ISSUER: 'https://idp.example.com', CAIRN_OIDC_CLIENT_ID: 'cairn' }).auth.oidc).toMatchObject({
        issuer: 'https://idp.example.com',
        audience: 'cairn',
        groupsClaim: 'groups',
        clockSkewS: 60,
      });
    });
  });
});
