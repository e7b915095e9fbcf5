import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { createBlobStore, type BlobStore } from '@cairn/blobstore';
import { loadConfig } from '@cairn/platform';
import { clientCredentialsToken, freePort, signingKey, startOidcProvider, startPrivateMinio, type PrivateMinio, type RunningProvider } from '@cairn/testing';

// MinIO accepts a web identity token whose audience is its OpenID client id.
const AUDIENCE = 'https://cairn-artifacts.test';
const POD_CLIENT = 'cairn-artifact-service';
const POD_SECRET = 'the-pod-client-secret-for-the-s3-tests';
const KMS_KEY = 'cairn-test-key';
const MiB = 1024 * 1024;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const readAll = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * The S3 store configured as on AWS, against a MinIO of this test's own: credentials from a web
 * identity token (EKS IRSA: only AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, no key) exchanged at
 * MinIO's STS, which checks it against a real OpenID provider; and server-side encryption (SSE-S3 and
 * SSE-KMS, MinIO with a static KMS key) on every kind of upload. Everything goes through loadConfig
 * and createBlobStore, as a service builds its store at boot.
 */
describe('S3 as AWS users configure it', () => {
  let provider: RunningProvider;
  let minio: PrivateMinio;
  let root: Client;
  let dir: string;
  let tokenFile: string;
  let roleArn: string;
  const bucket = 'cairn-aws';

  /** The environment of a pod on EKS with IRSA (what the webhook injects), plus Cairn's own variables. */
  const irsaEnvironment = (extra: Record<string, string> = {}) => ({
    CAIRN_ARTIFACT_ROOT: `s3://${bucket}/irsa`,
    CAIRN_S3_ENDPOINT: minio.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ROLE_ARN: roleArn,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    // STS is MinIO's here (on AWS: sts.<region>.amazonaws.com, the default).
    AWS_ENDPOINT_URL_STS: minio.endpoint,
    ...extra,
  });
  const storeFor = (env: Record<string, string>): BlobStore => createBlobStore(loadConfig(env));

  /** Each kind of upload the store makes: one PUT of a small object, a streamed PUT (size announced), multipart (size unknown). */
  const uploads = [
    { kind: 'single PUT', size: 300 * 1024, announced: false },
    { kind: 'streamed PUT', size: 12 * MiB, announced: true },
    { kind: 'multipart', size: 20 * MiB, announced: false },
  ];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-s3-aws-'));
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider({
      port,
      issuer,
      keys: [await signingKey('k1')],
      clients: [{ client_id: POD_CLIENT, client_secret: POD_SECRET, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }],
      resources: [AUDIENCE],
      accountGroups: {},
      clientGroups: {},
      claimsInIdToken: true,
    });
    minio = await startPrivateMinio({
      MINIO_IDENTITY_OPENID_CONFIG_URL: `${issuer}/.well-known/openid-configuration`,
      MINIO_IDENTITY_OPENID_CLIENT_ID: AUDIENCE,
      MINIO_IDENTITY_OPENID_ROLE_POLICY: 'readwrite',
      MINIO_KMS_SECRET_KEY: `${KMS_KEY}:${randomBytes(32).toString('base64')}`,
    });
    // MinIO names the role after its OpenID client id: arn:minio:iam:::role/<base64url(sha1(client id))>.
    roleArn = `arn:minio:iam:::role/${createHash('sha1').update(AUDIENCE).digest('base64url')}`;
    const url = new URL(minio.endpoint);
    root = new Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: minio.accessKey,
      secretKey: minio.secretKey,
      pathStyle: true,
    });
    await root.makeBucket(bucket, 'us-east-1');
    // What the kubelet writes into the pod: the service account's token for the STS audience.
    tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, await clientCredentialsToken(issuer, POD_CLIENT, POD_SECRET, AUDIENCE));
  }, 120_000);

  afterAll(async () => {
    await minio?.destroy();
    await provider?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('boots with only AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, and uploads and downloads every way with the role session credentials', async () => {
    const config = loadConfig(irsaEnvironment());
    expect(config.s3.credentials).toMatchObject({ source: 'web-identity', roleArn, stsEndpoint: minio.endpoint });
    const store = createBlobStore(config);
    for (const { kind, size, announced } of uploads) {
      const content = randomBytes(size);
      const stored = await store.put(
        `run-1/${kind}.bin`,
        Readable.from([content.subarray(0, size / 2), content.subarray(size / 2)]),
        announced ? { expectedSize: size } : {},
      );
      expect({ kind, sha256: stored.sha256 }).toEqual({ kind, sha256: sha(content) });
      expect(sha(await readAll(await store.get(`run-1/${kind}.bin`)))).toBe(sha(content));
      // Stored where the root user sees it: the same bucket, under the configured prefix.
      expect((await root.statObject(bucket, `irsa/run-1/${kind}.bin`)).size).toBe(size);
    }
    expect((await store.list('run-1/')).items.map((item) => item.key)).toEqual(uploads.map(({ kind }) => `run-1/${kind}.bin`).sort());
    await store.delete('run-1/single PUT.bin');
    expect(await store.head('run-1/single PUT.bin')).toBeUndefined();
  }, 120_000);

  it('fails with STS’s refusal when the token is not one the identity provider signed', async () => {
    const forged = path.join(dir, 'forged-token');
    const [header, payload] = readFileSync(tokenFile, 'utf8').split('.');
    writeFileSync(forged, `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`);
    const store = storeFor(irsaEnvironment({ AWS_WEB_IDENTITY_TOKEN_FILE: forged }));
    await expect(store.put('run-2/refused.bin', Readable.from([Buffer.from('x')]))).rejects.toThrow(/AssumeRoleWithWebIdentity .* refused/);
  });

  describe.each<{ sse: string; extra: Record<string, string>; expected: Record<string, string> }>([
    { sse: 'AES256', extra: { CAIRN_S3_SSE: 'AES256' }, expected: { 'x-amz-server-side-encryption': 'AES256' } },
    {
      sse: 'aws:kms',
      extra: { CAIRN_S3_SSE: 'aws:kms', CAIRN_S3_SSE_KMS_KEY_ID: KMS_KEY },
      expected: { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': `arn:aws:kms:${KMS_KEY}` },
    },
  ])('with CAIRN_S3_SSE=$sse', ({ sse, extra, expected }) => {
    it.each(uploads)(
      'stores a $kind encrypted, and reads it back',
      async ({ kind, size, announced }) => {
        const store = storeFor(irsaEnvironment({ CAIRN_ARTIFACT_ROOT: `s3://${bucket}/sse`, ...extra }));
        const key = `${sse}/${kind}.bin`;
        const content = randomBytes(size);
        await store.put(key, Readable.from([content]), announced ? { expectedSize: size } : {});
        const head = await headers(`sse/${key}`);
        for (const [name, value] of Object.entries(expected)) expect({ name, value: head.get(name) }).toEqual({ name, value });
        expect(sha(await readAll(await store.get(key)))).toBe(sha(content));
      },
      60_000,
    );
  });

  it('without CAIRN_S3_SSE, asks for no encryption', async () => {
    const store = storeFor(irsaEnvironment({ CAIRN_ARTIFACT_ROOT: `s3://${bucket}/plain` }));
    await store.put('plain.bin', Readable.from([randomBytes(1024)]));
    expect((await headers('plain/plain.bin')).get('x-amz-server-side-encryption')).toBeNull();
  });

  /** The object's HEAD response headers, as S3 reports them to its owner. */
  async function headers(objectName: string): Promise<Headers> {
    const response = await fetch(await root.presignedUrl('HEAD', bucket, objectName, 60), { method: 'HEAD' });
    expect(response.status).toBe(200);
    return response.headers;
  }
});
