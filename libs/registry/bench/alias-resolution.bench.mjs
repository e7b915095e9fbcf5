#!/usr/bin/env node
// Alias resolution under polling load, as serving pods would poll it:
//   node libs/registry/bench/alias-resolution.bench.mjs <server url> [clients=256] [seconds=10]
// Creates a model with two versions and an alias, then runs <clients> keep-alive pollers sending
// If-None-Match (so most answers are 304), reports throughput and latency percentiles, and
// measures staleness: how long after an alias move a long-polling watcher sees it.
import http from 'node:http';

const [base = 'http://127.0.0.1:5000', clientsArg = '256', secondsArg = '10'] = process.argv.slice(2);
const clients = Number(clientsArg);
const seconds = Number(secondsArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const name = `bench-${Date.now()}`;

function request(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(`${base}${path}`, { method, agent, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

const api = (route, body) => request('POST', `/api/2.0/mlflow/${route}`, body);
await api('registered-models/create', { name });
await api('model-versions/create', { name, source: 'runs:/' + 'a'.repeat(32) + '/model' });
await api('model-versions/create', { name, source: 'runs:/' + 'b'.repeat(32) + '/model' });
await api('registered-models/alias', { name, alias: 'champion', version: '1' });
const resolvePath = `/api/2.0/cairn/registered-models/alias/resolve?name=${name}&alias=champion`;
const first = await request('GET', resolvePath);
const etag = first.headers.etag;

const latencies = [];
let errors = 0;
const deadline = Date.now() + seconds * 1000;
async function poller() {
  while (Date.now() < deadline) {
    const t = process.hrtime.bigint();
    const res = await request('GET', resolvePath, undefined, { 'if-none-match': etag });
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (res.status !== 304 && res.status !== 200) errors++;
  }
}
const started = Date.now();
await Promise.all(Array.from({ length: clients }, poller));
const elapsed = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(2);

// Staleness: a watcher long-polls with the current ETag; the alias moves; time until it returns.
const watch = request('GET', `${resolvePath}&wait=30s`, undefined, { 'if-none-match': etag });
await new Promise((r) => setTimeout(r, 200));
const moved = Date.now();
await api('registered-models/alias', { name, alias: 'champion', version: '2' });
const seen = await watch;
const staleness = Date.now() - moved;

console.log(
  JSON.stringify(
    { clients, seconds: elapsed, requests: latencies.length, rps: Math.round(latencies.length / elapsed), p50_ms: pct(50), p99_ms: pct(99), errors, watch_status: seen.status, staleness_ms: staleness },
    null,
    2,
  ),
);
agent.destroy();
