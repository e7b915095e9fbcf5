#!/usr/bin/env node
// Upload/download throughput through Cairn's artifact proxy against the same operations straight to
// MinIO (issue 4's benchmark): 4 KiB objects × 16 clients, 10 MB objects, one 1 GB object.
//
//   CAIRN_URL=http://127.0.0.1:5000 (a server with CAIRN_ARTIFACT_ROOT=s3://…)
//   BENCH_S3_ENDPOINT=http://127.0.0.1:59000 BENCH_S3_ACCESS_KEY=… BENCH_S3_SECRET_KEY=…
//   [MLFLOW_URL=http://127.0.0.1:5001 (mlflow server --serve-artifacts)]  node libs/artifacts/bench/artifacts-bench.mjs
//
// Prints one line per (target, workload, direction) with MB/s; numbers go to BENCHMARKS.md.
// 10 MB and 1 GB downloads are read by curl when it is installed (BENCH_DOWNLOADER=node to use Node's
// HTTP client): Node's client costs about a core per GB/s, so on two shared cores it, not the
// server, set the pace of the 1 GB rows. After the table, three interleaved 1 GB downloads per
// target (direct, Cairn, direct, …), then three interleaved 1 GB uploads, give the ratios with the
// machine's drift spread over every target.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Client } = require('minio');

const MiB = 1024 * 1024;
const env = (name, fallback) => process.env[name] ?? fallback;
const RUN = randomUUID().replace(/-/g, '');

function generated(size) {
  const chunk = randomBytes(MiB);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(MiB, size - sent);
      sent += n;
      this.push(n === MiB ? chunk : chunk.subarray(0, n));
    },
  });
}

function httpPut(base, path, size) {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: 'PUT', path, headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${path}: ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    generated(size).pipe(req);
  });
}

function httpGet(base, path) {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    request({ host: url.hostname, port: url.port, method: 'GET', path }, (res) => {
      let n = 0;
      res.on('data', (c) => (n += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
    })
      .on('error', reject)
      .end();
  });
}

const CURL = env('BENCH_DOWNLOADER', 'curl') === 'curl' && hasCurl() ? 'curl' : undefined;

function hasCurl() {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** GET with curl into /dev/null; resolves to the bytes read. */
function curlGet(base, path) {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `${base}${path}`], (error, stdout) => {
      const [status, size] = stdout.trim().split(' ');
      if (error || status !== '200') reject(new Error(`GET ${path}: ${status ?? ''} ${error?.message ?? ''}`));
      else resolve(Number(size));
    }),
  );
}

/** Large bodies through curl when available, small ones through Node (no process per 4 KiB). */
const get = (base, path, large) => (large && CURL ? curlGet(base, path) : httpGet(base, path));

function proxyTarget(name, base) {
  const path = (key) => `/api/2.0/mlflow-artifacts/artifacts/1/${RUN}/artifacts/${name}/${key}`;
  return { name, put: (key, size) => httpPut(base, path(key), size), get: (key, large = false) => get(base, path(key), large) };
}

async function minioTarget() {
  const url = new URL(env('BENCH_S3_ENDPOINT', 'http://127.0.0.1:59000'));
  const client = new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: url.protocol === 'https:',
    accessKey: env('BENCH_S3_ACCESS_KEY', 'cairn'),
    secretKey: env('BENCH_S3_SECRET_KEY', 'cairn-secret'),
    pathStyle: true,
    partSize: 8 * MiB,
  });
  const bucket = 'cairn-bench-direct';
  if (!(await client.bucketExists(bucket))) await client.makeBucket(bucket);
  // Straight to MinIO with the same HTTP client code as the proxy targets (presigned single PUT and
  // GET), so the comparison measures the servers, not two client libraries: the `minio` client's
  // own getObject stream costs the load generator ~1 core per GB/s on this 2-core machine.
  const presigned = async (method, key) => new URL(await client.presignedUrl(method, bucket, key, 3600));
  return {
    name: 'minio-direct',
    put: async (key, size) => {
      const url = await presigned('PUT', key);
      await httpPut(url.origin, url.pathname + url.search, size);
    },
    get: async (key, large = false) => {
      const url = await presigned('GET', key);
      return get(url.origin, url.pathname + url.search, large);
    },
  };
}

async function timed(label, bytes, work) {
  const t0 = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = bytes / MiB / seconds;
  console.log(`${label.padEnd(48)} ${rate.toFixed(1).padStart(8)} MB/s  (${seconds.toFixed(2)} s)`);
  return rate;
}

async function workloads(target) {
  const clients = 16;
  const perClient = Number(env('BENCH_SMALL_PER_CLIENT', '50'));
  const small = 4 * 1024;
  const keys = Array.from({ length: clients }, (_, c) => Array.from({ length: perClient }, (_, i) => `small/${c}-${i}`));
  await timed(`${target.name} 4KiB x${clients} clients upload`, clients * perClient * small, () =>
    Promise.all(
      keys.map(async (ks) => {
        for (const k of ks) await target.put(k, small);
      }),
    ),
  );
  await timed(`${target.name} 4KiB x${clients} clients download`, clients * perClient * small, () =>
    Promise.all(
      keys.map(async (ks) => {
        for (const k of ks) await target.get(k);
      }),
    ),
  );
  const mediumCount = 8;
  await timed(`${target.name} 10MB x${mediumCount} upload`, mediumCount * 10 * MiB, async () => {
    for (let i = 0; i < mediumCount; i++) await target.put(`medium/${i}`, 10 * MiB);
  });
  await timed(`${target.name} 10MB x${mediumCount} download`, mediumCount * 10 * MiB, async () => {
    for (let i = 0; i < mediumCount; i++) await target.get(`medium/${i}`, true);
  });
  const large = Number(env('BENCH_LARGE_MB', '1024')) * MiB;
  await timed(`${target.name} ${large / MiB}MB upload`, large, () => target.put('large/1', large));
  await timed(`${target.name} ${large / MiB}MB download`, large, () => target.get('large/1', true));
}

const targets = [await minioTarget(), proxyTarget('cairn', env('CAIRN_URL', 'http://127.0.0.1:5000'))];
if (process.env.MLFLOW_URL) targets.push(proxyTarget('mlflow-serve-artifacts', process.env.MLFLOW_URL));
for (const target of targets) await workloads(target);

// Interleaved: the 1 GB object (uploaded above) downloaded three times per target, in turns.
const largeBytes = Number(env('BENCH_LARGE_MB', '1024')) * MiB;
const rates = Object.fromEntries(targets.map((t) => [t.name, []]));
console.log(`interleaved ${largeBytes / MiB}MB downloads (${CURL ? 'curl' : 'node http'})`);
for (let round = 1; round <= 3; round++) {
  for (const target of targets) rates[target.name].push(await timed(`  round ${round} ${target.name}`, largeBytes, () => target.get('large/1', true)));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratios = (rates) => {
  for (const target of targets.slice(1)) {
    console.log(
      `median ${target.name} / minio-direct: ${((100 * median(rates[target.name])) / median(rates['minio-direct'])).toFixed(0)}% (${median(rates[target.name]).toFixed(0)} vs ${median(rates['minio-direct']).toFixed(0)} MB/s)`,
    );
  }
};
ratios(rates);

// Interleaved uploads the same way: one 1 GB upload per target is at the mercy of whatever the
// machine (MinIO's disk writeback above all) does during those few seconds.
const uploadRates = Object.fromEntries(targets.map((t) => [t.name, []]));
console.log(`interleaved ${largeBytes / MiB}MB uploads`);
for (let round = 1; round <= 3; round++) {
  for (const target of targets)
    uploadRates[target.name].push(await timed(`  round ${round} ${target.name}`, largeBytes, () => target.put(`large/u${round}`, largeBytes)));
}
ratios(uploadRates);
