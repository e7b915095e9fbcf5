import path from 'node:path';

/**
 * Where the files of an `mlflow-artifacts:` artifact URI are served, as MLflow's
 * `MlflowArtifactsRepository.resolve_uri` computes it (mlflow-api.md §7.1):
 * `mlflow-artifacts:/1/abc/artifacts` → `<tracking>/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts`,
 * a host in the URI (`mlflow-artifacts://host:port/…`) replacing the tracking host. Proxied
 * `http(s)://…/api/2.0/mlflow-artifacts/artifacts/…` URIs are used as they are. Any other scheme
 * (s3://, file://) means the client would have to write the storage itself: not supported here.
 */
export function proxiedArtifactUrl(artifactUri: string, trackingUri: string): string {
  if (/^https?:\/\//i.test(artifactUri) && artifactUri.includes('/mlflow-artifacts/artifacts')) return artifactUri.replace(/\/+$/, '');
  const match = /^mlflow-artifacts:(?:\/\/([^/]+))?(\/.*)?$/.exec(artifactUri);
  if (match === null) {
    throw new Error(
      `Artifact URI '${artifactUri}' is not served through the tracking server (mlflow-artifacts:); the TypeScript SDK uploads only through the proxy.`,
    );
  }
  const tracking = new URL(trackingUri);
  const host = match[1] ?? tracking.host;
  const base = `${tracking.protocol}//${host}${tracking.pathname.replace(/\/+$/, '')}/api/2.0/mlflow-artifacts/artifacts/${match[2] ?? ''}`;
  return base.replace(/(?<!:)\/{2,}/g, '/').replace(/\/+$/, '');
}

/** A relative artifact path as URL segments: each one encoded, `..` and absolute paths refused. */
export function encodeArtifactPath(relative: string): string {
  const parts = relative.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new Error(`Artifact path '${relative}' must not contain '..'`);
  return parts.map(encodeURIComponent).join('/');
}

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.html': 'text/html',
  '.json': 'application/json',
  '.yaml': 'application/x-yaml',
  '.yml': 'application/x-yaml',
  '.csv': 'text/csv',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
};

/** The MIME type MLflow's client would guess; `MLmodel` is text. */
export function guessContentType(file: string): string {
  const base = path.basename(file);
  if (base === 'MLmodel') return 'text/plain';
  return CONTENT_TYPES[path.extname(base).toLowerCase()] ?? 'application/octet-stream';
}
