import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { distributedServices, samplePath, servedRoutes, unservedControllers } from './served-routes';

// The Helm chart as a platform team installs it, checked offline: `helm lint --strict`, then what
// `helm template` renders for the default, a production-like and the all-in-one values is decoded
// strictly into the Kubernetes API types and put through the Pod Security "restricted" admission
// check (tools/deploy/k8s-validate), and read for what a user would notice: routing, secrets,
// selectors, migrations. helm and the validator are built once from the Go module proxy (cached).

const root = path.resolve(__dirname, '..', '..');
const chart = path.join(root, 'helm', 'cairn');
const KUBE_VERSION = '1.33.0';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Container {
  name: string;
  command?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[]; volumes?: Array<{ name: string; secret?: { secretName: string } }> };
}
interface IngressPath {
  path: string;
  pathType: string;
  backend: { service: { name: string } };
}

let helm: string;
let validator: string;

const tool = (name: string) =>
  execFileSync('bash', [path.join(__dirname, 'k8s-tools.sh'), name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

/** `helm template` → validator: the objects, or the validator's complaints as the thrown error. */
function render(release: string, args: string[] = []): K8sObject[] {
  const manifests = execFileSync(helm, ['template', release, chart, '--namespace', 'ml', '--kube-version', KUBE_VERSION, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const checked = spawnSync(validator, ['-json'], { input: manifests, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (checked.status !== 0) throw new Error(`k8s-validate refused the manifests of ${release} ${args.join(' ')}:\n${checked.stderr}`);
  return checked.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as K8sObject);
}

const helmFails = (args: string[]) => spawnSync(helm, ['template', 'r', chart, '--kube-version', KUBE_VERSION, ...args], { encoding: 'utf8' });

function specOf(o: K8sObject): Record<string, unknown> {
  if (o.spec === undefined) throw new Error(`${o.kind} ${o.metadata.name} has no spec`);
  return o.spec;
}
function firstContainer(o: K8sObject): Container {
  const [container] = podTemplate(o).spec.containers;
  if (container === undefined) throw new Error(`${o.kind} ${o.metadata.name} has no container`);
  return container;
}
const ingressPaths = (o: K8sObject): IngressPath[] => (specOf(o)['rules'] as Array<{ http: { paths: IngressPath[] } }>).flatMap((rule) => rule.http.paths);
const dataOf = (o: K8sObject): Record<string, string> => o.data ?? {};

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};
const podTemplate = (o: K8sObject): PodTemplate =>
  o.kind === 'CronJob'
    ? (specOf(o)['jobTemplate'] as { spec: { template: PodTemplate } }).spec.template
    : o.kind === 'Pod'
      ? ({ metadata: o.metadata, spec: o.spec } as unknown as PodTemplate)
      : (specOf(o)['template'] as PodTemplate);
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const envOf = (o: K8sObject) => new Map((firstContainer(o).env ?? []).map((e) => [e.name, e]));

/** Kubernetes `Prefix` matching (by whole path segments; the longest matching path wins), as ingress-nginx applies it. */
function routeOf(paths: IngressPath[], requestPath: string): string | undefined {
  const matching = paths.filter(({ path: p, pathType }) => {
    if (pathType === 'Exact') return requestPath === p;
    const prefix = p.replace(/\/+$/, '');
    return prefix === '' || requestPath === prefix || requestPath.startsWith(`${prefix}/`);
  });
  matching.sort((a, b) => b.path.length - a.path.length);
  return matching[0]?.backend.service.name;
}

beforeAll(() => {
  helm = tool('helm');
  validator = tool('k8s-validate');
}, 900_000);

describe('helm lint --strict', () => {
  it.each([['default values'], ['ci/production-values.yaml'], ['ci/server-values.yaml']])('passes with %s', (values) => {
    const args = values.startsWith('ci/') ? ['-f', path.join(chart, values)] : [];
    const lint = spawnSync(helm, ['lint', '--strict', chart, '--kube-version', KUBE_VERSION, ...args], { encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`).toContain('0 chart(s) failed');
    expect(lint.status).toBe(0);
  });
});

describe('the default install', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render('cairn', ['--set', 'auth.admin.existingSecret=cairn-admin', '--set', 'webhooks.existingSecret=cairn-webhooks']);
  });

  it('renders a Deployment, Service and (with 2+ replicas) a PDB per service, tracking-service with 2 replicas', () => {
    for (const service of distributedServices) {
      const deployment = named(objects, 'Deployment', `cairn-${service}`);
      expect(firstContainer(deployment).command).toEqual(['node', '--enable-source-maps', `dist/apps/${service}/src/main.js`]);
      named(objects, 'Service', `cairn-${service}`);
    }
    expect(specOf(named(objects, 'Deployment', 'cairn-tracking-service'))['replicas']).toBe(2);
    expect(ofKind(objects, 'PodDisruptionBudget').map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining(['cairn-tracking-service', 'cairn-artifact-service', 'cairn-registry-service']),
    );
  });

  it('gives each service only the secrets it reads', () => {
    const secretsOf = (service: string) =>
      [...envOf(named(objects, 'Deployment', `cairn-${service}`)).values()]
        .filter((e) => e.valueFrom?.secretKeyRef !== undefined || e.name.endsWith('_FILE'))
        .map((e) => e.name)
        .sort();
    expect(secretsOf('tracking-service')).toEqual(['CAIRN_ADMIN_PASSWORD_FILE', 'CAIRN_DATABASE_URL']);
    // The registry checks model-version sources against the artifact root, and the configuration
    // requires S3 credentials wherever CAIRN_ARTIFACT_ROOT is s3://.
    expect(secretsOf('artifact-service')).toEqual(['CAIRN_ADMIN_PASSWORD_FILE', 'CAIRN_DATABASE_URL', 'CAIRN_S3_ACCESS_KEY', 'CAIRN_S3_SECRET_KEY']);
    expect(secretsOf('registry-service')).toEqual(['CAIRN_ADMIN_PASSWORD_FILE', 'CAIRN_DATABASE_URL', 'CAIRN_S3_ACCESS_KEY', 'CAIRN_S3_SECRET_KEY']);
    expect(secretsOf('webhook-dispatcher')).toEqual(['CAIRN_ADMIN_PASSWORD_FILE', 'CAIRN_DATABASE_URL', 'CAIRN_WEBHOOK_SECRET_KEY']);
  });

  it('leaves migrations and topic creation to the pre-install/pre-upgrade Job', () => {
    for (const service of distributedServices) {
      const env = envOf(named(objects, 'Deployment', `cairn-${service}`));
      expect(env.get('CAIRN_MIGRATE_ON_START')?.value).toBe('false');
      expect(env.get('CAIRN_KAFKA_CREATE_TOPICS')?.value).toBe('false');
    }
    const job = named(objects, 'Job', 'cairn-migrate');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(firstContainer(job).command).toEqual(['node', '--enable-source-maps', 'dist/apps/migrate-job/src/main.js']);
    const env = envOf(job);
    expect(env.get('CAIRN_KAFKA_CREATE_TOPICS')?.value).toBe('true');
    expect(env.get('CAIRN_DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'cairn-database', key: 'url' });
  });

  it('sets ingress-nginx up for artifacts (no body limit) and the alias long-poll (timeouts above its 60 s cap)', () => {
    const annotations = named(objects, 'Ingress', 'cairn').metadata.annotations ?? {};
    expect(annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('0');
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThan(60);
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThan(60);
  });

  it('routes every route a service serves to that service (health and metrics stay inside the cluster)', () => {
    const ingress = named(objects, 'Ingress', 'cairn');
    const paths = ingressPaths(ingress);
    const internal = new Set(['/health', '/health/ready', '/metrics']);
    const servedBy = new Map<string, Set<string>>();
    for (const service of distributedServices) {
      for (const route of servedRoutes(service)) {
        const sample = samplePath(route.pattern);
        servedBy.set(sample, (servedBy.get(sample) ?? new Set()).add(`cairn-${service}`));
      }
    }
    expect(servedBy.size).toBeGreaterThan(100);
    // A controller outside every service's module graph would escape this check.
    expect(unservedControllers()).toEqual([]);
    const misrouted: string[] = [];
    for (const [sample, services] of servedBy) {
      const target = routeOf(paths, sample);
      if (internal.has(sample)) {
        if (target !== undefined) misrouted.push(`${sample} is exposed (to ${target})`);
      } else if (target === undefined || !services.has(target)) {
        misrouted.push(`${sample} → ${target ?? 'nothing'}, served by ${[...services].join(', ')}`);
      }
    }
    expect(misrouted).toEqual([]);
  });

  it('serves browsers the web UI and MLflow’s GraphQL from the tracking-service, and no other path at the root', () => {
    const paths = ingressPaths(named(objects, 'Ingress', 'cairn'));
    const routed = ['/', '/index.html', '/assets/index-abc123.js', '/graphql', '/ajax-api/graphql', '/health', '/metrics', '/favicon.ico', '/anything'];
    expect(Object.fromEntries(routed.map((p) => [p, routeOf(paths, p) ?? 'not routed']))).toEqual({
      '/': 'cairn-tracking-service',
      '/index.html': 'cairn-tracking-service',
      '/assets/index-abc123.js': 'cairn-tracking-service',
      '/graphql': 'cairn-tracking-service',
      '/ajax-api/graphql': 'cairn-tracking-service',
      '/health': 'not routed',
      '/metrics': 'not routed',
      '/favicon.ico': 'not routed',
      '/anything': 'not routed',
    });
  });

  it('runs every container with a read-only root filesystem and a writable /tmp', () => {
    for (const o of objects.filter((x) => ['Deployment', 'Job', 'CronJob'].includes(x.kind))) {
      const container = firstContainer(o) as Container & { securityContext: { readOnlyRootFilesystem: boolean; runAsUser: number } };
      expect([o.metadata.name, container.securityContext.readOnlyRootFilesystem, container.securityContext.runAsUser]).toEqual([o.metadata.name, true, 10001]);
      expect(container.volumeMounts).toEqual(expect.arrayContaining([{ name: 'tmp', mountPath: '/tmp' }]));
    }
  });
});

describe('a production-like install (Kafka TLS + SCRAM, OIDC, HPA, TLS Ingress, ServiceMonitor, NetworkPolicy)', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render('prod', ['-f', path.join(chart, 'ci', 'production-values.yaml')]);
  });

  it('mounts the Kafka password and CA as files for every Kafka client, and the OIDC secret for tracking only', () => {
    for (const name of [...distributedServices.map((s) => `cairn-${s}`)]) {
      const env = envOf(named(objects, 'Deployment', name));
      expect(env.get('CAIRN_KAFKA_SASL_PASSWORD_FILE')?.value).toBe('/etc/cairn/secrets/kafka-sasl-password/kafka-sasl-password');
      expect(env.get('CAIRN_KAFKA_TLS_CA_FILE')?.value).toBe('/etc/cairn/kafka-ca/ca.crt');
      expect(env.has('CAIRN_OIDC_CLIENT_SECRET')).toBe(name === 'cairn-tracking-service');
      expect(env.has('CAIRN_WEBHOOK_SECRET_KEY')).toBe(name === 'cairn-webhook-dispatcher');
    }
    const config = dataOf(named(objects, 'ConfigMap', 'cairn-config'));
    expect(config).toMatchObject({
      CAIRN_KAFKA_TLS: 'true',
      CAIRN_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      CAIRN_AUTH: 'oidc',
      CAIRN_PUBLIC_URL: 'https://mlflow.example.internal',
    });
    expect(config['CAIRN_KAFKA_TOPIC_REPLICATION_FACTOR']).toBe('3');
  });

  it('reaches S3 as on AWS: IRSA on the ServiceAccount instead of keys, virtual-hosted addressing, SSE-KMS', () => {
    const account = named(objects, 'ServiceAccount', 'cairn');
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::123456789012:role/cairn');
    for (const name of ['cairn-artifact-service', 'cairn-registry-service']) {
      const deployment = named(objects, 'Deployment', name);
      expect((specOf(deployment)['template'] as { spec: { serviceAccountName?: string } }).spec.serviceAccountName).toBe('cairn');
      const env = envOf(deployment);
      // No key anywhere: the EKS webhook gives the pod AWS_ROLE_ARN and the token file.
      expect(env.has('CAIRN_S3_ACCESS_KEY') || env.has('CAIRN_S3_SECRET_KEY')).toBe(false);
      expect(Object.fromEntries(['CAIRN_S3_PATH_STYLE', 'CAIRN_S3_SSE', 'CAIRN_S3_SSE_KMS_KEY_ID'].map((n) => [n, env.get(n)?.value]))).toEqual({
        CAIRN_S3_PATH_STYLE: 'false',
        CAIRN_S3_SSE: 'aws:kms',
        CAIRN_S3_SSE_KMS_KEY_ID: 'alias/ml-platform-artifacts',
      });
    }
    expect(ofKind(objects, 'Secret').flatMap((o) => Object.keys(dataOf(o)))).not.toContain('s3-secret-key');
  });

  it('pins the image by digest, autoscales, and adds the optional objects', () => {
    const deployment = named(objects, 'Deployment', 'cairn-tracking-service');
    expect((firstContainer(deployment) as Container & { image: string }).image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(specOf(deployment)['replicas']).toBeUndefined(); // the HPA owns it
    expect(
      ofKind(objects, 'HorizontalPodAutoscaler')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['cairn-artifact-service', 'cairn-registry-service', 'cairn-tracking-service']);
    expect(ofKind(objects, 'ServiceMonitor')).toHaveLength(4);
    expect(ofKind(objects, 'NetworkPolicy')).toHaveLength(1);
    const cron = named(objects, 'CronJob', 'cairn-gc');
    expect(envOf(cron).get('MLFLOW_TRACKING_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'cairn-gc-token', key: 'token' });
  });
});

describe('the all-in-one server profile with inline secrets', () => {
  it('renders one server Deployment, routes everything to it, and keeps the inline secrets in Secrets', () => {
    const objects = render('small', ['-f', path.join(chart, 'ci', 'server-values.yaml')]);
    expect(ofKind(objects, 'Deployment').map((o) => o.metadata.name)).toEqual(['small-cairn-server']);
    const paths = ingressPaths(named(objects, 'Ingress', 'small-cairn'));
    expect(paths.map((p) => [p.path, p.backend.service.name])).toEqual([['/', 'small-cairn-server']]);
    const secret = named(objects, 'Secret', 'small-cairn-secrets');
    expect(Buffer.from(dataOf(secret)['database-url'] ?? '', 'base64').toString()).toBe('postgres://cairn:change-me@postgres:5432/cairn');
    // The hook Job cannot read the release's Secret (created after it): it gets its own copy.
    const jobSecret = named(objects, 'Secret', 'small-cairn-migrate');
    expect(Object.keys(dataOf(jobSecret))).toEqual(['database-url']);
    expect(envOf(named(objects, 'Job', 'small-cairn-migrate')).get('CAIRN_DATABASE_URL')?.valueFrom?.secretKeyRef?.name).toBe('small-cairn-migrate');
  });
});

describe('settings', () => {
  it('give OAUTHBEARER the token endpoint and client, and mount the client secret as its file', () => {
    const objects = render('cairn', [
      ...['--set', 'kafka.sasl.mechanism=oauthbearer', '--set', 'kafka.sasl.existingSecret=cairn-kafka-oauth'],
      ...[
        '--set',
        'kafka.sasl.oauth.tokenUrl=https://idp.example.com/oauth2/token',
        '--set',
        'kafka.sasl.oauth.clientId=cairn',
        '--set',
        'kafka.sasl.oauth.scope=kafka',
      ],
    ]);
    const config = dataOf(named(objects, 'ConfigMap', 'cairn-config'));
    expect(config).toMatchObject({
      CAIRN_KAFKA_SASL_MECHANISM: 'oauthbearer',
      CAIRN_KAFKA_OAUTH_TOKEN_URL: 'https://idp.example.com/oauth2/token',
      CAIRN_KAFKA_OAUTH_CLIENT_ID: 'cairn',
      CAIRN_KAFKA_OAUTH_SCOPE: 'kafka',
    });
    expect(config['CAIRN_KAFKA_SASL_USERNAME']).toBeUndefined();
    const env = envOf(named(objects, 'Deployment', 'cairn-registry-service'));
    expect(env.get('CAIRN_KAFKA_OAUTH_CLIENT_SECRET_FILE')?.value).toBe('/etc/cairn/secrets/kafka-sasl-password/kafka-sasl-password');
    expect(env.has('CAIRN_KAFKA_SASL_PASSWORD_FILE')).toBe(false);
  });

  it('roll only the pods of the services that read a changed secret', () => {
    const checksums = (s3Secret: string) =>
      new Map(
        ofKind(
          render('cairn', ['-f', path.join(chart, 'ci', 'server-values.yaml'), '--set', 'mode=distributed', '--set', `artifacts.s3.secretKey=${s3Secret}`]),
          'Deployment',
        ).map((d) => [d.metadata.name, podTemplate(d).metadata.annotations?.['checksum/secrets']]),
      );
    const before = checksums('first-secret');
    const after = checksums('second-secret');
    const changed = [...before.keys()].filter((name) => before.get(name) !== after.get(name)).sort();
    expect(changed).toEqual(['cairn-artifact-service', 'cairn-registry-service']);
  });

  it('that contradict each other, or are misspelt, fail the install with the reason', () => {
    expect(helmFails(['--set', 'kafka.sasl.mechanism=scram-sha-256']).stderr).toContain('kafka.sasl.username: required');
    expect(helmFails(['--set', 'kafka.sasl.mechanism=oauthbearer', '--set', 'kafka.sasl.password=s']).stderr).toContain(
      'kafka.sasl.oauth: tokenUrl and clientId required',
    );
    expect(helmFails(['--set', 'auth.mode=oidc']).stderr).toContain('auth.oidc.issuer: required');
    expect(helmFails(['--set', 'serviceDefaults.replica=3']).stderr).toContain("additional properties 'replica' not allowed");
    expect(helmFails(['--set', 'database.existingSecret=']).stderr).toContain('database: set url or existingSecret');
    expect(helmFails(['--set', 'artifacts.s3.existingSecret=']).stderr).toContain(
      'artifacts.s3: set accessKey and secretKey, or existingSecret (or credentials=aws',
    );
    expect(helmFails(['--set', 'artifacts.s3.roleArn=arn:aws:iam::123456789012:role/cairn']).stderr).toContain('set only with artifacts.s3.credentials=aws');
    const irsa = ['--set', 'artifacts.s3.credentials=aws', '--set', 'artifacts.s3.roleArn=arn:aws:iam::123456789012:role/cairn'];
    expect(helmFails([...irsa, '--set', 'serviceAccount.create=false']).stderr).toContain('artifacts.s3.roleArn: needs serviceAccount.create');
    expect(helmFails(['--set', 'artifacts.s3.kmsKeyId=alias/x']).stderr).toContain('artifacts.s3.kmsKeyId: set only with artifacts.s3.sse=aws:kms');
    expect(helmFails(['--set', 'artifacts.s3.sse=kms']).stderr).toContain("at '/artifacts/s3/sse': value must be one of 'none', 'AES256', 'aws:kms'");
  });
});

describe('two releases in one namespace', () => {
  it('share no object name and never select each other’s pods', () => {
    const releases = ['team-a', 'team-b'].map((release) => render(release));
    const all = releases.flat();
    const keys = all.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    const pods = all.filter((o) => ['Deployment', 'Job', 'CronJob'].includes(o.kind)).map((o) => ({ owner: o, labels: podTemplate(o).metadata.labels }));
    const selectors = all.flatMap((o) => {
      if (o.kind === 'Service') return [{ o, selector: specOf(o)['selector'] as Record<string, string> }];
      if (o.kind === 'Deployment' || o.kind === 'PodDisruptionBudget')
        return [{ o, selector: (specOf(o)['selector'] as { matchLabels: Record<string, string> }).matchLabels }];
      return [];
    });
    for (const { o, selector } of selectors) {
      const selected = pods.filter((p) => selects(selector, p.labels)).map((p) => `${p.owner.kind}/${p.owner.metadata.name}`);
      // A service's Service, PDB and Deployment share its name: each selects that Deployment's pods alone.
      expect([`${o.kind}/${o.metadata.name}`, selected]).toEqual([`${o.kind}/${o.metadata.name}`, [`Deployment/${o.metadata.name}`]]);
    }
  });

  it('keep every name within 63 characters however long the release name', () => {
    const release = 'a-release-name-that-is-far-too-long-for-kubernetes-names-to-hold';
    const objects = render(release.slice(0, 53));
    for (const o of objects) expect(o.metadata.name.length).toBeLessThanOrEqual(63);
    const services = ofKind(objects, 'Service').map((o) => o.metadata.name);
    expect(new Set(services).size).toBe(distributedServices.length);
    for (const service of distributedServices) expect(services.some((name) => name.endsWith(`-${service}`))).toBe(true);
  });
});
