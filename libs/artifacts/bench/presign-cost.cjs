// What presigning an S3 URL costs per request: minio's own presignedPutObject/presignedGetObject
// with static keys (as before issue 21) against the store's SigningClient with a credentials provider
// (with and without SSE headers signed); same process, interleaved, three passes. Local: no request
// is sent. Run after `node tools/build.mjs`: node libs/artifacts/bench/presign-cost.cjs
const path = require('node:path');
const { Client } = require('minio');
const dist = path.join(__dirname, '..', '..', '..', 'dist', 'libs', 'blobstore', 'src');
const { SigningClient } = require(path.join(dist, 's3-signing-client.js'));
const { credentialProviderFor } = require(path.join(dist, 's3-credentials.js'));
const base = { endPoint: '127.0.0.1', port: 59000, useSSL: false, region: 'us-east-1', pathStyle: true };
const before = new Client({ ...base, accessKey: 'cairn-minio', secretKey: 'cairn-minio-secret' });
const after = new SigningClient({
  ...base,
  credentialsProvider: credentialProviderFor({ source: 'static', accessKey: 'cairn-minio', secretKey: 'cairn-minio-secret' }),
});
const sse = { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'k' };
const N = 20000;
async function time(label, f) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await f(i);
  const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
  return [label, us];
}
(async () => {
  const results = {};
  for (let round = 0; round < 3; round++) {
    for (const [label, f] of [
      ['before PUT presign', (i) => before.presignedPutObject('cairn-bench', `k/${i}`, 300)],
      ['after PUT presign', (i) => after.presignedPutWithHeaders('cairn-bench', `k/${i}`, 300, {})],
      ['after PUT presign + SSE-KMS headers', (i) => after.presignedPutWithHeaders('cairn-bench', `k/${i}`, 300, sse)],
      ['before GET presign', (i) => before.presignedGetObject('cairn-bench', `k/${i}`, 60)],
      ['after GET presign', (i) => after.presignedGetObject('cairn-bench', `k/${i}`, 60)],
    ]) {
      const [l, us] = await time(label, f);
      (results[l] ??= []).push(us.toFixed(1));
    }
  }
  for (const [l, v] of Object.entries(results)) console.log(`${l.padEnd(40)} ${v.join(' / ')} µs per URL`);
})();
