import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/**
 * An HTTP request whose path is sent exactly as given: no URL normalisation, so `../`, `%2e%2e` and
 * backslashes reach the server as an attacker would send them (fetch/WHATWG URL would resolve them).
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: Buffer | string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: { ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Every encoding of climbing out that MLflow's CVE history tried (reliability.md §6.3 B1–B6). */
export const HOSTILE_ARTIFACT_PATHS = [
  '../../../../etc/passwd',
  '1/0123456789abcdef0123456789abcdef/artifacts/../../../../etc/passwd',
  '%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%252e%252e%252f%252e%252e%252fetc',
  '%25252e%25252e%25252fetc',
  '%2fetc%2fpasswd',
  '..%5c..%5cwin.ini',
  'a%5c..%5c..%5cb',
  'C:%5cWindows%5cwin.ini',
  'C:foo',
  'a%00.txt',
  '1/0123456789abcdef0123456789abcdef/artifacts/a%2500.txt',
  'a%17b',
  'a%23/../../x',
  '%ef%bc%8e%ef%bc%8e%ef%bc%8fetc',
];
