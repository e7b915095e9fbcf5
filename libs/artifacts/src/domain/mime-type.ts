/**
 * MIME type from a file name, as MLflow's `_guess_mime_type` (Python's `mimetypes` plus text for
 * MLmodel/MLproject and common text extensions). Downloads are always attachments with `nosniff`,
 * so a wrong guess cannot turn an artifact into a page of ours (XSS).
 */
const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain',
  log: 'text/plain',
  err: 'text/plain',
  cfg: 'text/plain',
  conf: 'text/plain',
  cnf: 'text/plain',
  cf: 'text/plain',
  ini: 'text/plain',
  properties: 'text/plain',
  prop: 'text/plain',
  hocon: 'text/plain',
  toml: 'text/plain',
  yaml: 'text/plain',
  yml: 'text/plain',
  md: 'text/plain',
  rst: 'text/plain',
  py: 'text/plain',
  py3: 'text/plain',
  tsv: 'text/plain',
  ipynb: 'text/plain',
  js: 'text/plain',
  xml: 'text/plain',
  json: 'text/plain',
  csv: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  parquet: 'application/octet-stream',
  pkl: 'application/octet-stream',
  pt: 'application/octet-stream',
  ckpt: 'application/octet-stream',
  bin: 'application/octet-stream',
};
const TEXT_NAMES = new Set(['MLmodel', 'MLproject']);

export function guessMimeType(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  if (TEXT_NAMES.has(base)) return 'text/plain';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return 'application/octet-stream';
  return BY_EXTENSION[base.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}
