import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findUp } from '@cairn/platform';
import { terminate, trackChildProcess } from './child-processes';
import { freePort } from './private-kafka';
import { waitFor } from './wait-for';

const repoRoot = path.dirname(findUp('package.json'));

export interface IngressPath {
  path: string;
  pathType: 'Prefix' | 'Exact' | 'ImplementationSpecific';
  backend: { service: { name: string } };
}

export interface RenderedIngress {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { rules: Array<{ host?: string; http: { paths: IngressPath[] } }> };
}

/**
 * The Ingress the Helm chart renders for `values` (`--set` pairs), as the API server would store it:
 * `helm template` put through tools/deploy/k8s-validate (strict decoding), both built once and cached.
 */
export function renderChartIngress(release: string, values: Record<string, string>): RenderedIngress {
  const tool = (name: string) =>
    execFileSync('bash', [path.join(repoRoot, 'tools', 'deploy', 'k8s-tools.sh'), name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const sets = Object.entries(values).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
  const manifests = execFileSync(
    tool('helm'),
    ['template', release, path.join(repoRoot, 'helm', 'cairn'), '--kube-version', '1.33.0', '--show-only', 'templates/ingress.yaml', ...sets],
    { encoding: 'utf8' },
  );
  const objects = execFileSync(tool('k8s-validate'), ['-json'], { input: manifests, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RenderedIngress & { kind: string });
  const ingress = objects.find((o) => o.kind === 'Ingress');
  if (ingress === undefined) throw new Error(`the chart rendered no Ingress for ${sets.join(' ')}`);
  return ingress;
}

/**
 * What ingress-nginx makes of the annotations this chart sets, and its defaults where one is absent
 * (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/). An annotation not in
 * this table fails the translation, so the chart cannot rely on one the test ignores.
 */
const ANNOTATIONS: Record<string, { directive: string; fallback: string; unit?: string }> = {
  'proxy-body-size': { directive: 'client_max_body_size', fallback: '1m' },
  'proxy-request-buffering': { directive: 'proxy_request_buffering', fallback: 'on' },
  'proxy-buffering': { directive: 'proxy_buffering', fallback: 'off' },
  'proxy-read-timeout': { directive: 'proxy_read_timeout', fallback: '60', unit: 's' },
  'proxy-send-timeout': { directive: 'proxy_send_timeout', fallback: '60', unit: 's' },
  'proxy-connect-timeout': { directive: 'proxy_connect_timeout', fallback: '5', unit: 's' },
};
const ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

/**
 * An nginx.conf laid out as ingress-nginx lays out one Ingress: an upstream per backend Service
 * (`endpoints`: the pods' host:port), a server per rule host beside a default server answering 404,
 * and per path a location — `Exact` as `location = p`, `Prefix` as `location p/` plus `location = p`
 * (Kubernetes matches prefixes by whole segments; nginx then picks the longest) — carrying the
 * annotations' directives and the proxy headers ingress-nginx sets.
 */
export function ingressNginxConf(ingress: RenderedIngress, endpoints: Record<string, string[]>, listen: string, dir: string): string {
  const annotations = ingress.metadata.annotations ?? {};
  const unknown = Object.keys(annotations).filter((key) => key.startsWith(ANNOTATION_PREFIX) && !(key.slice(ANNOTATION_PREFIX.length) in ANNOTATIONS));
  if (unknown.length > 0) throw new Error(`ingress-nginx annotations this translation does not know: ${unknown.join(', ')}`);
  const proxyDirectives = Object.entries(ANNOTATIONS).map(([name, { directive, fallback, unit }]) => {
    const value = annotations[`${ANNOTATION_PREFIX}${name}`] ?? fallback;
    return `${directive} ${value}${unit ?? ''};`;
  });
  const services = [...new Set(ingress.spec.rules.flatMap((rule) => rule.http.paths.map((p) => p.backend.service.name)))];
  const upstreams = services.map((service) => {
    const servers = endpoints[service];
    if (servers === undefined || servers.length === 0) throw new Error(`no endpoints given for Service ${service}`);
    return `  upstream ${service} {\n${servers.map((s) => `    server ${s};`).join('\n')}\n    keepalive 32;\n  }`;
  });
  const location = (match: string, service: string) =>
    [`    location ${match} {`, `      proxy_pass http://${service};`, ...proxyDirectives.map((d) => `      ${d}`), '    }'].join('\n');
  const servers = ingress.spec.rules.map((rule) => {
    const locations = rule.http.paths.flatMap(({ path: p, pathType, backend }) => {
      const service = backend.service.name;
      if (pathType === 'Exact') return [location(`= ${p}`, service)];
      const prefix = p.replace(/\/+$/, '');
      return prefix === '' ? [location('/', service)] : [location(`${prefix}/`, service), location(`= ${prefix}`, service)];
    });
    const hasRoot = rule.http.paths.some((p) => p.path === '/' && p.pathType !== 'Exact');
    return [
      '  server {',
      `    listen ${listen};`,
      `    server_name ${rule.host ?? '_'};`,
      ...locations,
      ...(hasRoot ? [] : ['    location / {\n      return 404;\n    }']),
      '  }',
    ].join('\n');
  });
  const temp = (name: string) => path.join(dir, name);
  return `# Generated from the Ingress ${ingress.metadata.name} as ingress-nginx would configure nginx.
daemon off;
worker_processes 1;
pid ${temp('nginx.pid')};
error_log stderr warn;
${process.getuid?.() === 0 ? 'user root;\n' : ''}events {
  worker_connections 1024;
}
http {
  access_log off;
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  # ingress-nginx's proxy settings for every location
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $http_host;
  proxy_set_header X-Real-IP $remote_addr;
  proxy_set_header X-Forwarded-For $remote_addr;
  proxy_set_header X-Forwarded-Host $http_host;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_next_upstream error timeout;
  proxy_redirect off;
${upstreams.join('\n')}
  # The controller's default backend: any other host gets 404.
  server {
    listen ${listen} default_server;
    return 404;
  }
${servers.join('\n')}
}
`;
}

export interface IngressNginx {
  /** `http://<host>:<port>` of the rule's host (`localhost` resolves to the loopback nginx listens on). */
  url: string;
  conf: string;
  output(): string;
  stop(): Promise<void>;
}

/** The nginx binary tools/infra/infra.sh prepares (`up nginx`, cached), or CAIRN_TEST_NGINX. */
function nginxBinary(): string {
  const given = process.env['CAIRN_TEST_NGINX'];
  if (given !== undefined && given !== '') return given;
  const infra = path.join(repoRoot, 'tools', 'infra', 'infra.sh');
  execFileSync('bash', [infra, 'up', 'nginx'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exported = /CAIRN_TEST_NGINX=(\S+)/.exec(execFileSync('bash', [infra, 'env', 'nginx'], { encoding: 'utf8' }))?.[1];
  if (exported === undefined) throw new Error('infra.sh prepared no nginx');
  return exported.replace(/^'(.*)'$/, '$1');
}

/**
 * A real nginx configured from `ingress` (see ingressNginxConf) on a free loopback port, tracked like
 * every child process; resolves once it answers.
 */
export async function startIngressNginx(ingress: RenderedIngress, endpoints: Record<string, string[]>): Promise<IngressNginx> {
  const host = ingress.spec.rules[0]?.host;
  if (host === undefined) throw new Error('the Ingress has no rule with a host');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-nginx-'));
  for (const name of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, name));
  const port = await freePort();
  const conf = ingressNginxConf(ingress, endpoints, `127.0.0.1:${port}`, dir);
  const confFile = path.join(dir, 'nginx.conf');
  writeFileSync(confFile, conf);
  const child = spawn(nginxBinary(), ['-p', dir, '-e', 'stderr', '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };
  trackChildProcess(child, stop);
  const url = `http://${host}:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited with code ${child.exitCode}:\n${output}`);
        // Any answer will do (a refused connection throws): `/` may be routed (the web UI) or not (404).
        return (await fetch(`${url}/`)).status > 0 ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, message: 'nginx to answer' },
    );
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\n${output}\n${conf}`);
  }
  return { url, conf, output: () => output, stop };
}
