import { RefreshingCredentialProvider, type ExpiringCredentials } from './s3-credentials';
import { SigningClient } from './s3-signing-client';

const HOUR = 3_600_000;

/** A credential source that hands out key N on its N-th fetch, valid for `lifetimeMs` from the fake clock. */
function rotatingSource(clock: { now: number }, lifetimeMs = HOUR) {
  let fetches = 0;
  const fetch = async (): Promise<ExpiringCredentials> => {
    fetches++;
    return { accessKey: `AKIA${fetches}`, secretKey: `secret-${fetches}`, sessionToken: `token-${fetches}`, expiresAt: new Date(clock.now + lifetimeMs) };
  };
  return { fetch, fetches: () => fetches };
}

function client(provider: RefreshingCredentialProvider, pathStyle = true) {
  // With the region given, presigning is local: nothing listens on this endpoint.
  return new SigningClient({ endPoint: 's3.example.test', useSSL: true, region: 'eu-west-1', pathStyle, credentialsProvider: provider });
}

describe('temporary S3 credentials', () => {
  it('are fetched once, reused, and fetched again five minutes before they expire', async () => {
    const clock = { now: Date.parse('2026-12-07T10:00:00Z') };
    const source = rotatingSource(clock);
    const provider = new RefreshingCredentialProvider(source.fetch, () => clock.now);
    await Promise.all([provider.getCredentials(), provider.getCredentials(), provider.getCredentials()]);
    expect(source.fetches()).toBe(1);
    clock.now += HOUR - 5 * 60_000 - 1;
    expect((await provider.getCredentials()).accessKey).toBe('AKIA1');
    clock.now += 2;
    expect((await provider.getCredentials()).accessKey).toBe('AKIA2');
    expect(source.fetches()).toBe(2);
  });

  it('with a life shorter than ten minutes, are renewed half-way through it', async () => {
    const clock = { now: 0 };
    const source = rotatingSource(clock, 4 * 60_000);
    const provider = new RefreshingCredentialProvider(source.fetch, () => clock.now);
    await provider.getCredentials();
    clock.now += 2 * 60_000 - 1;
    expect((await provider.getCredentials()).accessKey).toBe('AKIA1');
    clock.now += 1;
    expect((await provider.getCredentials()).accessKey).toBe('AKIA2');
  });

  it('keep serving while a refresh fails and they are still valid; fail with the cause once expired', async () => {
    const clock = { now: 0 };
    let down = false;
    const source = rotatingSource(clock);
    const provider = new RefreshingCredentialProvider(
      async () => {
        if (down) throw new Error('STS answered 503');
        return source.fetch();
      },
      () => clock.now,
    );
    await provider.getCredentials();
    down = true;
    clock.now += HOUR - 60_000;
    expect((await provider.getCredentials()).accessKey).toBe('AKIA1');
    clock.now += 60_000;
    await expect(provider.getCredentials()).rejects.toThrow('S3 credentials: STS answered 503');
    down = false;
    expect((await provider.getCredentials()).accessKey).toBe('AKIA2');
  });
});

describe('presigned S3 URLs', () => {
  it('carry the session token of the current credentials, and the renewed ones after a refresh (PUT and GET)', async () => {
    const clock = { now: Date.now() };
    const provider = new RefreshingCredentialProvider(rotatingSource(clock).fetch, () => clock.now);
    const s3 = client(provider);
    const put = await s3.presignedPutWithHeaders('bucket', 'a/b c.bin', 300, {});
    expect(put.searchParams.get('X-Amz-Credential')).toMatch(/^AKIA1\//);
    expect(put.searchParams.get('X-Amz-Security-Token')).toBe('token-1');
    clock.now += HOUR;
    const renewedPut = await s3.presignedPutWithHeaders('bucket', 'a/b c.bin', 300, {});
    const renewedGet = new URL(await s3.presignedGetObject('bucket', 'a/b c.bin', 60));
    for (const url of [renewedPut, renewedGet]) {
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIA2\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
      expect(url.searchParams.get('X-Amz-Security-Token')).toBe('token-2');
    }
  });

  it('sign the server-side encryption headers of a PUT, so that S3 accepts them', async () => {
    const provider = new RefreshingCredentialProvider(rotatingSource({ now: Date.now() }).fetch);
    const url = await client(provider).presignedPutWithHeaders('bucket', 'k', 300, {
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': 'alias/cairn',
    });
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-amz-server-side-encryption;x-amz-server-side-encryption-aws-kms-key-id');
  });

  it('address the bucket in the path, or in the host name (virtual-hosted style) when path style is off', async () => {
    const provider = new RefreshingCredentialProvider(rotatingSource({ now: Date.now() }).fetch);
    const pathStyle = await client(provider, true).presignedPutWithHeaders('bucket', 'run/1/model.pkl', 300, {});
    const virtual = await client(provider, false).presignedPutWithHeaders('bucket', 'run/1/model.pkl', 300, {});
    expect(`${pathStyle.host}${pathStyle.pathname}`).toBe('s3.example.test/bucket/run/1/model.pkl');
    expect(`${virtual.host}${virtual.pathname}`).toBe('bucket.s3.example.test/run/1/model.pkl');
  });
});
