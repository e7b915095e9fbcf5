import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { containerCredentials, instanceProfileCredentials } from './s3-credentials';

/**
 * The link-local credential endpoints (IMDSv2, the ECS / EKS Pod Identity agent) do not exist on
 * this machine: these stand-ins on the loopback answer as AWS documents them. A unit-level check of
 * the protocol, not of AWS.
 */
async function standIn(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

const credentialsDocument = (n: number) =>
  JSON.stringify({ Code: 'Success', AccessKeyId: `ASIA${n}`, SecretAccessKey: `secret-${n}`, Token: `token-${n}`, Expiration: '2030-01-01T00:00:00Z' });

describe('instance profile credentials (IMDSv2 stand-in)', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it("asks for a session token with PUT, then reads the role's credentials with it", async () => {
    const seen: string[] = [];
    const imds = await standIn((request, response) => {
      seen.push(`${request.method} ${request.url}`);
      if (request.method === 'PUT' && request.url === '/latest/api/token' && request.headers['x-aws-ec2-metadata-token-ttl-seconds'])
        return response.end('imds-session');
      // IMDSv2 only: without the session token, 401 (as with HttpTokens=required).
      if (request.headers['x-aws-ec2-metadata-token'] !== 'imds-session') return response.writeHead(401).end();
      if (request.url === '/latest/meta-data/iam/security-credentials/') return response.end('cairn-node-role\n');
      if (request.url === '/latest/meta-data/iam/security-credentials/cairn-node-role') return response.end(credentialsDocument(1));
      response.writeHead(404).end();
    });
    server = imds.server;
    expect(await instanceProfileCredentials(imds.url)).toEqual({
      accessKey: 'ASIA1',
      secretKey: 'secret-1',
      sessionToken: 'token-1',
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    });
    expect(seen).toEqual([
      'PUT /latest/api/token',
      'GET /latest/meta-data/iam/security-credentials/',
      'GET /latest/meta-data/iam/security-credentials/cairn-node-role',
    ]);
  });

  it('says the metadata service is unreachable, rather than hanging, off EC2', async () => {
    // A port nothing listens on.
    const closed = await standIn(() => undefined);
    closed.server.close();
    await expect(instanceProfileCredentials(closed.url)).rejects.toThrow(/instance metadata service at .* did not answer/);
  });
});

describe('container credentials (EKS Pod Identity / ECS stand-in)', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('sends the authorization token read afresh from its file on every fetch (the agent rotates it)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-pod-identity-'));
    const tokenFile = path.join(dir, 'eks-pod-identity-token');
    const authorizations: Array<string | undefined> = [];
    const agent = await standIn((request, response) => {
      authorizations.push(request.headers.authorization);
      response.setHeader('content-type', 'application/json').end(credentialsDocument(authorizations.length));
    });
    server = agent.server;
    try {
      writeFileSync(tokenFile, 'first-token\n');
      const first = await containerCredentials({ source: 'container', url: `${agent.url}/v1/credentials`, authorizationTokenFile: tokenFile });
      writeFileSync(tokenFile, 'second-token\n');
      const second = await containerCredentials({ source: 'container', url: `${agent.url}/v1/credentials`, authorizationTokenFile: tokenFile });
      expect([first.accessKey, second.accessKey]).toEqual(['ASIA1', 'ASIA2']);
      expect(authorizations).toEqual(['first-token', 'second-token']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an answer without usable credentials', async () => {
    const agent = await standIn((_request, response) => response.end(JSON.stringify({ AccessKeyId: 'ASIA1' })));
    server = agent.server;
    await expect(containerCredentials({ source: 'container', url: agent.url })).rejects.toThrow(/sent no usable credentials/);
  });
});
