import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { terminate, trackChildProcess } from './child-processes';

export interface PrivateKafkaOptions {
  /**
   * `plaintext` (a broker a test may stop and restart) or `sasl-ssl`: clients must speak TLS (a
   * self-signed certificate for 127.0.0.1, `caFile`) and authenticate with SCRAM-SHA-256 or PLAIN
   * as `user`.
   */
  security: 'plaintext' | 'sasl-ssl';
  /**
   * With `sasl-ssl`: OAUTHBEARER too, the broker validating each client's JWT against an OpenID
   * provider's keys (KIP-768's OAuthBearerValidatorCallbackHandler), its issuer and audience.
   */
  oauthBearer?: { jwksUrl: string; issuer: string; audience: string };
}

export interface PrivateKafka {
  /** `127.0.0.1:<port>` of the client listener. */
  brokers: string;
  /** The broker's self-signed certificate (PEM file), for `sasl-ssl`. */
  caFile: string | undefined;
  /** The one user a `sasl-ssl` broker knows (SCRAM-SHA-256 and PLAIN). */
  user: { username: string; password: string };
  /** SIGTERM; the data stays, so `start` brings the same broker (topics, offsets) back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

/**
 * A single-node Kafka (KRaft) of this test's own, on free ports in a temporary directory, from the
 * jars tools/infra/infra.sh fetched for the shared one: for tests that stop the broker (which the
 * shared one must never be) or that need a secured listener. Tuned to start in seconds (client
 * JIT only, small heap); tracked like every child process, so it never outlives the test file.
 */
export async function startPrivateKafka(options: PrivateKafkaOptions): Promise<PrivateKafka> {
  const libs = kafkaLibs();
  const java = process.env['JAVA_HOME'] ? path.join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-kafka-'));
  const [clientPort, internalPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
  const user = { username: 'cairn', password: randomBytes(12).toString('hex') };
  const secured = options.security === 'sasl-ssl';
  const storePassword = randomBytes(12).toString('hex');
  let caFile: string | undefined;
  if (secured) {
    const keystore = path.join(dir, 'broker.p12');
    caFile = path.join(dir, 'ca.pem');
    const keytool = process.env['JAVA_HOME'] ? path.join(process.env['JAVA_HOME'], 'bin', 'keytool') : 'keytool';
    const store = ['-keystore', keystore, '-storetype', 'PKCS12', '-storepass', storePassword];
    execFileSync(
      keytool,
      [
        '-genkeypair',
        '-alias',
        'broker',
        '-keyalg',
        'EC',
        '-validity',
        '2',
        '-dname',
        'CN=127.0.0.1',
        '-ext',
        'SAN=ip:127.0.0.1,dns:localhost',
        ...store,
        '-keypass',
        storePassword,
      ],
      { stdio: 'pipe' },
    );
    execFileSync(keytool, ['-exportcert', '-rfc', '-alias', 'broker', '-file', caFile, ...store], { stdio: 'pipe' });
  }
  const clientProtocol = secured ? 'SASL_SSL' : 'PLAINTEXT';
  const properties = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=CLIENT://127.0.0.1:${clientPort},INTERNAL://127.0.0.1:${internalPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=CLIENT://127.0.0.1:${clientPort},INTERNAL://127.0.0.1:${internalPort}`,
    `listener.security.protocol.map=CLIENT:${clientProtocol},INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=INTERNAL',
    `log.dirs=${path.join(dir, 'data')}`,
    'auto.create.topics.enable=false',
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=1',
    'num.io.threads=2',
    'broker.heartbeat.interval.ms=500',
    ...(secured
      ? [
          `ssl.keystore.location=${path.join(dir, 'broker.p12')}`,
          'ssl.keystore.type=PKCS12',
          `ssl.keystore.password=${storePassword}`,
          `ssl.key.password=${storePassword}`,
          `sasl.enabled.mechanisms=SCRAM-SHA-256,PLAIN${options.oauthBearer ? ',OAUTHBEARER' : ''}`,
          'listener.name.client.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
          `listener.name.client.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${user.username}="${user.password}";`,
        ]
      : []),
    ...(secured && options.oauthBearer
      ? [
          'listener.name.client.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
          'listener.name.client.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
          `sasl.oauthbearer.jwks.endpoint.url=${options.oauthBearer.jwksUrl}`,
          `sasl.oauthbearer.expected.issuer=${options.oauthBearer.issuer}`,
          `sasl.oauthbearer.expected.audience=${options.oauthBearer.audience}`,
        ]
      : []),
  ];
  const props = path.join(dir, 'server.properties');
  writeFileSync(props, properties.join('\n') + '\n');
  writeFileSync(
    path.join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.KafkaRaftServer=INFO',
    ].join('\n') + '\n',
  );
  const jvm = [
    '-Xms128m',
    '-Xmx256m',
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`,
    // Kafka fetches only the OAuth URLs it is allowed to (CVE-2025-27817).
    ...(options.oauthBearer ? [`-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=${options.oauthBearer.jwksUrl}`] : []),
    '-cp',
    `${libs}/*`,
  ];
  const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
  const scram = secured ? ['--add-scram', `SCRAM-SHA-256=[name=${user.username},password=${user.password}]`] : [];
  execFileSync(java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, ...scram], { stdio: 'pipe' });

  let child: ChildProcess | undefined;
  const start = async () => {
    const broker = spawn(java, [...jvm, 'kafka.Kafka', props], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = broker;
    trackChildProcess(broker);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`private Kafka did not start within 60 s:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Kafka Server started')) {
          clearTimeout(timer);
          broker.stdout.off('data', onData);
          resolve();
        }
      };
      broker.stdout.on('data', onData);
      broker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      broker.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`private Kafka exited with code ${code}:\n${output}`));
      });
    });
    // Keep reading its output, or a full pipe would block the broker.
    broker.stdout.resume();
  };
  const stop = async () => {
    if (child !== undefined) await terminate(child, 20_000);
    child = undefined;
  };
  try {
    await start();
  } catch (error) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    brokers: `127.0.0.1:${clientPort}`,
    caFile,
    user,
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Kafka jars infra.sh fetched (`$CAIRN_INFRA_CACHE`, by default ~/.cache/cairn-infra). */
function kafkaLibs(): string {
  const cache = process.env['CAIRN_INFRA_CACHE'] ?? path.join(os.homedir(), '.cache', 'cairn-infra');
  const homes = existsSync(cache) ? readdirSync(cache).filter((name) => /^kafka-[\d.]+-/.test(name) && existsSync(path.join(cache, name, '.complete'))) : [];
  const home = homes.sort().at(-1);
  if (home === undefined) throw new Error(`no Kafka jars under ${cache}: run tools/infra/infra.sh up kafka once`);
  return path.join(cache, home, 'libs');
}

/** A port nothing listens on now, on the loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}
