import { readFile } from 'node:fs/promises';
import { CredentialProvider } from 'minio/dist/main/CredentialProvider.js';
import { Credentials } from 'minio/dist/main/Credentials.js';

/**
 * Where the S3 store's credentials come from, decided once at boot (the platform's config reads the
 * standard AWS variables in the AWS SDKs' order: keys, web identity, container, instance profile).
 * Every source but `static` hands out temporary credentials, which are fetched again before they expire.
 */
export type S3Credentials =
  /** Keys given outright (CAIRN_S3_ACCESS_KEY/SECRET_KEY, or AWS_ACCESS_KEY_ID/… with AWS_SESSION_TOKEN). */
  | { source: 'static'; accessKey: string; secretKey: string; sessionToken?: string }
  /** EKS IRSA and any OIDC federation: STS AssumeRoleWithWebIdentity with a token file the kubelet rotates. */
  | { source: 'web-identity'; tokenFile: string; roleArn: string; sessionName: string; stsEndpoint: string }
  /** EKS Pod Identity and ECS task roles: a credentials endpoint, with an authorization token (file) for the former. */
  | { source: 'container'; url: string; authorizationToken?: string; authorizationTokenFile?: string }
  /** An EC2 instance profile, read through IMDSv2 (a session token first, then the role's credentials). */
  | { source: 'instance-profile'; endpoint: string };

/** Temporary credentials and when they stop working. */
export interface ExpiringCredentials {
  accessKey: string;
  secretKey: string;
  sessionToken: string | undefined;
  expiresAt: Date;
}

// Fetched again this long before they expire, as the AWS SDKs do (or half-way through a lifetime
// shorter than twice that): a request signed now must not reach S3 after its credentials died.
const REFRESH_MARGIN_MS = 5 * 60_000;
// IMDS and the container endpoints are link-local and answer in milliseconds, or never (not on EC2).
const METADATA_TIMEOUT_MS = 2_000;
const STS_TIMEOUT_MS = 10_000;

/** The provider the `minio` client (and the store's own presigned requests) asks before every request. */
export function credentialProviderFor(credentials: S3Credentials): CredentialProvider {
  switch (credentials.source) {
    case 'static':
      return new CredentialProvider(credentials);
    case 'web-identity':
      return new RefreshingCredentialProvider(() => assumeRoleWithWebIdentity(credentials));
    case 'container':
      return new RefreshingCredentialProvider(() => containerCredentials(credentials));
    case 'instance-profile':
      return new RefreshingCredentialProvider(() => instanceProfileCredentials(credentials.endpoint));
  }
}

/**
 * Hands out the credentials it last fetched until they come within REFRESH_MARGIN_MS of expiring
 * (or are half-way through a shorter life), then fetches new ones; concurrent callers share one
 * fetch. If a refresh fails while the current credentials still have time left, they keep being
 * used (and the refresh is tried again on the next request): a slow STS never fails an upload its
 * credentials could still sign.
 */
export class RefreshingCredentialProvider extends CredentialProvider {
  private current: (ExpiringCredentials & { refreshAt: number }) | undefined;
  private fetching: Promise<ExpiringCredentials & { refreshAt: number }> | undefined;

  constructor(
    private readonly fetchCredentials: () => Promise<ExpiringCredentials>,
    private readonly now: () => number = Date.now,
  ) {
    super({ accessKey: '', secretKey: '' });
  }

  override async getCredentials(): Promise<Credentials> {
    const current = this.current;
    if (current !== undefined && this.now() < current.refreshAt) return asMinio(current);
    try {
      this.current = await (this.fetching ??= this.fetch().finally(() => (this.fetching = undefined)));
    } catch (error) {
      if (current !== undefined && current.expiresAt.getTime() > this.now()) return asMinio(current);
      throw new Error(`S3 credentials: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return asMinio(this.current);
  }

  private async fetch(): Promise<ExpiringCredentials & { refreshAt: number }> {
    const fetchedAt = this.now();
    const fetched = await this.fetchCredentials();
    const expiresAt = fetched.expiresAt.getTime();
    return { ...fetched, refreshAt: expiresAt - Math.min(REFRESH_MARGIN_MS, (expiresAt - fetchedAt) / 2) };
  }
}

const asMinio = (c: ExpiringCredentials) =>
  new Credentials({ accessKey: c.accessKey, secretKey: c.secretKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) });

/** STS AssumeRoleWithWebIdentity; the token file is read every time (the kubelet replaces it hourly). */
export async function assumeRoleWithWebIdentity(options: Extract<S3Credentials, { source: 'web-identity' }>): Promise<ExpiringCredentials> {
  const token = (await readFile(options.tokenFile, 'utf8')).trim();
  const response = await fetch(options.stsEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/xml' },
    body: new URLSearchParams({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: options.roleArn,
      RoleSessionName: options.sessionName,
      WebIdentityToken: token,
    }),
    signal: AbortSignal.timeout(STS_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) {
    const code = xmlValue(text, 'Code') ?? String(response.status);
    throw new Error(
      `STS AssumeRoleWithWebIdentity at ${options.stsEndpoint} for ${options.roleArn} refused: ${code} ${xmlValue(text, 'Message') ?? ''}`.trim(),
    );
  }
  return fromFields(
    {
      accessKey: xmlValue(text, 'AccessKeyId'),
      secretKey: xmlValue(text, 'SecretAccessKey'),
      sessionToken: xmlValue(text, 'SessionToken'),
      expiration: xmlValue(text, 'Expiration'),
    },
    `STS ${options.stsEndpoint}`,
  );
}

/** The ECS / EKS Pod Identity credentials endpoint: JSON with AccessKeyId, SecretAccessKey, Token, Expiration. */
export async function containerCredentials(options: Extract<S3Credentials, { source: 'container' }>): Promise<ExpiringCredentials> {
  const token = options.authorizationTokenFile !== undefined ? (await readFile(options.authorizationTokenFile, 'utf8')).trim() : options.authorizationToken;
  const response = await fetch(options.url, { headers: token ? { authorization: token } : {}, signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`container credentials endpoint ${options.url} answered ${response.status}`);
  const body = (await response.json()) as Record<string, string | undefined>;
  return fromFields(
    { accessKey: body['AccessKeyId'], secretKey: body['SecretAccessKey'], sessionToken: body['Token'], expiration: body['Expiration'] },
    options.url,
  );
}

/** IMDSv2: a session token (PUT), the instance profile's role name, then that role's credentials. */
export async function instanceProfileCredentials(endpoint: string): Promise<ExpiringCredentials> {
  const base = endpoint.replace(/\/+$/, '');
  const imds = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) }).catch((error: unknown) => {
      throw new Error(
        `instance metadata service at ${base} did not answer (${error instanceof Error ? error.message : String(error)}); not on EC2, or the pod cannot reach IMDS (hop limit)`,
      );
    });
    if (!response.ok) throw new Error(`instance metadata ${path} answered ${response.status}`);
    return response.text();
  };
  const token = await imds('/latest/api/token', { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' } });
  const headers = { 'x-aws-ec2-metadata-token': token };
  const role = (await imds('/latest/meta-data/iam/security-credentials/', { headers })).split('\n')[0]?.trim();
  if (!role) throw new Error('the instance has no instance profile (no IAM role)');
  const body = JSON.parse(await imds(`/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`, { headers })) as Record<
    string,
    string | undefined
  >;
  if (body['Code'] !== undefined && body['Code'] !== 'Success') throw new Error(`instance profile ${role}: ${body['Code']} ${body['Message'] ?? ''}`.trim());
  return fromFields(
    { accessKey: body['AccessKeyId'], secretKey: body['SecretAccessKey'], sessionToken: body['Token'], expiration: body['Expiration'] },
    `instance profile ${role}`,
  );
}

function fromFields(fields: { accessKey?: string; secretKey?: string; sessionToken?: string; expiration?: string }, from: string): ExpiringCredentials {
  const expiresAt = new Date(fields.expiration ?? '');
  if (!fields.accessKey || !fields.secretKey || Number.isNaN(expiresAt.getTime())) throw new Error(`${from} sent no usable credentials`);
  return { accessKey: fields.accessKey, secretKey: fields.secretKey, sessionToken: fields.sessionToken || undefined, expiresAt };
}

// STS answers are small, flat XML documents; the values read here never contain markup.
function xmlValue(document: string, element: string): string | undefined {
  return new RegExp(`<${element}>([^<]*)</${element}>`).exec(document)?.[1];
}
