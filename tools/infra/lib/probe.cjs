#!/usr/bin/env node
// Readiness probes and a smoke test for the services started by tools/infra/infra.sh.
// Uses only packages already in the repo's node_modules (pg, kafkajs, minio).
//
//   node probe.cjs pg <postgres-url> [timeoutSeconds]   -> `select 1` over TCP with the URL's password
//   node probe.cjs kafka <host:port> [timeoutSeconds]   -> a metadata request (listTopics + describeCluster)
//   node probe.cjs smoke                                -> round trips against the CAIRN_TEST_* endpoints
'use strict';
const path = require('path');
const crypto = require('crypto');

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const load = (name) => require(require.resolve(name, { paths: [repoRoot, process.cwd()] }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function retry(what, timeoutS, fn) {
  const deadline = Date.now() + timeoutS * 1000;
  let lastErr;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(300);
  }
  throw new Error(`${what} not ready after ${timeoutS}s: ${lastErr && lastErr.message}`);
}

async function pgOnce(url) {
  const { Client } = load('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const res = await client.query('select 1 as ok');
    if (res.rows[0].ok !== 1) throw new Error('unexpected answer');
  } finally {
    await client.end().catch(() => {});
  }
}

function kafkaClient(broker, clientId) {
  const { Kafka, logLevel } = load('kafkajs');
  return new Kafka({
    clientId,
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 0 },
  });
}

async function kafkaOnce(broker) {
  const admin = kafkaClient(broker, 'cairn-infra-ready').admin();
  try {
    await admin.connect();
    await admin.listTopics();
    const cluster = await admin.describeCluster();
    if (!cluster.brokers || cluster.brokers.length === 0) throw new Error('no brokers in metadata');
    if (cluster.controller === null || cluster.controller === undefined || cluster.controller < 0) {
      throw new Error('no active controller yet');
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function smokeKafka(broker) {
  const { Kafka, logLevel } = load('kafkajs');
  const kafka = new Kafka({ clientId: 'cairn-infra-smoke', brokers: [broker], logLevel: logLevel.NOTHING });
  const topic = `cairn-infra-smoke-${crypto.randomBytes(4).toString('hex')}`;
  const value = `hello-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'k', value }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-g` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message consumed within 30s')), 30000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(message.value.toString());
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
  if (got !== value) throw new Error(`consumed ${got}, expected ${value}`);
  return `produced and consumed 1 message on ${topic}`;
}

async function smokeS3(endpoint, accessKey, secretKey) {
  const Minio = load('minio');
  const u = new URL(endpoint);
  const client = new Minio.Client({
    endPoint: u.hostname,
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    useSSL: u.protocol === 'https:',
    accessKey,
    secretKey,
  });
  const bucket = `cairn-infra-smoke-${crypto.randomBytes(4).toString('hex')}`;
  const body = Buffer.from(`hello-${Date.now()}`);
  await client.makeBucket(bucket);
  await client.putObject(bucket, 'a/b.txt', body);
  const stream = await client.getObject(bucket, 'a/b.txt');
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  await client.removeObject(bucket, 'a/b.txt');
  await client.removeBucket(bucket);
  if (!Buffer.concat(chunks).equals(body)) throw new Error('object body differs');
  return `bucket ${bucket}: put/get/delete ok`;
}

async function smoke() {
  const env = process.env;
  const checks = [];
  if (env.CAIRN_TEST_DATABASE_URL) {
    checks.push(['postgres', async () => (await pgOnce(env.CAIRN_TEST_DATABASE_URL), 'select 1 ok')]);
  }
  if (env.CAIRN_TEST_KAFKA_BROKERS) {
    checks.push(['kafka', () => smokeKafka(env.CAIRN_TEST_KAFKA_BROKERS.split(',')[0])]);
  }
  if (env.CAIRN_TEST_S3_ENDPOINT) {
    checks.push(['minio', () => smokeS3(env.CAIRN_TEST_S3_ENDPOINT, env.CAIRN_TEST_S3_ACCESS_KEY, env.CAIRN_TEST_S3_SECRET_KEY)]);
  }
  let failed = 0;
  for (const [name, fn] of checks) {
    try {
      console.log(`smoke ${name}: ${await fn()}`);
    } catch (err) {
      failed++;
      console.log(`smoke ${name}: FAILED ${err && err.message}`);
    }
  }
  if (checks.length === 0) console.log('smoke: no CAIRN_TEST_* endpoints in the environment');
  return failed === 0;
}

(async () => {
  const [cmd, arg, timeout] = process.argv.slice(2);
  const t = Number(timeout || 60);
  try {
    if (cmd === 'pg' && arg) await retry('postgres', t, () => pgOnce(arg));
    else if (cmd === 'kafka' && arg) await retry(`kafka at ${arg}`, t, () => kafkaOnce(arg));
    else if (cmd === 'smoke') process.exit((await smoke()) ? 0 : 1);
    else {
      console.error('usage: probe.cjs pg <url> [timeout] | kafka <host:port> [timeout] | smoke');
      process.exit(2);
    }
    process.exit(0);
  } catch (err) {
    console.error(err && err.message ? err.message : String(err));
    process.exit(1);
  }
})();
