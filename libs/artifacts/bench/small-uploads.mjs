#!/usr/bin/env node
// 4 KiB uploads through Cairn's artifact proxy: 16 clients × 50 uploads, first all into one run (the
// run's lock serialises its uploads' transactions), then each client into its own run.
//
//   CAIRN_URL=http://127.0.0.1:5000 node libs/artifacts/bench/small-uploads.mjs
//
// Prints uploads/s and the p50/p99 latency of each; numbers go to BENCHMARKS.md.
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';

const base = new URL(process.env.CAIRN_URL ?? 'http://127.0.0.1:5000');
const CLIENTS = 16;
const PER_CLIENT = 50;

const put = (path, body) =>
  new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method: 'PUT', path, headers: { 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });

for (const mode of ['one run', 'a run per client']) {
  const run = randomUUID().replace(/-/g, '');
  const latencies = [];
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      const runId = mode === 'one run' ? run : `${run.slice(0, 28)}${String(client).padStart(4, '0')}`;
      for (let i = 0; i < PER_CLIENT; i++) {
        const t0 = Date.now();
        await put(`/api/2.0/mlflow-artifacts/artifacts/1/${runId}/artifacts/small/${client}-${i}`, randomBytes(4096));
        latencies.push(Date.now() - t0);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(`${mode.padEnd(18)} ${((CLIENTS * PER_CLIENT) / seconds).toFixed(0).padStart(5)} uploads/s  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms`);
}
