import { spawn } from 'node:child_process';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK, type KeyLike } from 'jose';
import { terminate, trackChildProcess } from './child-processes';

/** An RS256 signing key: the private JWK the provider publishes (public half) and signs with, and the key itself. */
export interface SigningKey {
  kid: string;
  jwk: JWK;
  privateKey: KeyLike;
}

export async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface ProviderSettings {
  port: number;
  issuer: string;
  /** The first one signs; all are published in the JWKS. */
  keys: SigningKey[];
  clients: Array<Record<string, unknown>>;
  accountGroups: Record<string, string[]>;
  clientGroups: Record<string, string[]>;
  /** Resource indicators (token audiences) the provider issues JWT access tokens for. */
  resources: string[];
  /** Whether a code flow's ID token carries the profile and groups claims (else only userinfo does). */
  claimsInIdToken: boolean;
}

export interface RunningProvider {
  stop(): Promise<void>;
  output(): string;
}

const script = path.join(__dirname, 'run-oidc-provider.mjs');
const orphanWatch = path.join(__dirname, 'stop-when-orphaned.cjs');

/** Starts `oidc-provider` (run-oidc-provider.mjs) in its own process; resolves once it listens. */
export async function startOidcProvider(settings: ProviderSettings): Promise<RunningProvider> {
  const child = spawn(process.execPath, ['--require', orphanWatch, script], {
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'test',
      OIDC_TEST_PROVIDER: JSON.stringify({ ...settings, keys: settings.keys.map((k) => k.jwk) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () => terminate(child, 5_000);
  trackChildProcess(child, stop);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OpenID provider did not start:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the OpenID provider exited with ${code}:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { stop, output: () => output };
}

/** A machine client's JWT access token for `resource` (client_credentials, client_secret_basic). */
export async function clientCredentialsToken(issuer: string, clientId: string, secret: string, resource: string): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'api' }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || body.access_token === undefined) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}
