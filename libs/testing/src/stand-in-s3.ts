import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A self-signed certificate for 127.0.0.1 (valid until 2126) and its key, for stand-ins served over
 * TLS. Test material only: the key is public, and nothing outside the tests trusts the certificate.
 */
export function loopbackTls(): { cert: string; key: string } {
  const file = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
  return { cert: file('loopback-tls.crt'), key: file('loopback-tls.key') };
}

/**
 * Test support: `server` listening on a loopback port in place of S3, for the behaviours MinIO never
 * shows on cue (stalls, ignored headers, a full drive). `url` looks like a presigned object URL; `close` drops any
 * connection still open.
 */
export async function listenAsS3(server: Server | TlsServer): Promise<{ url: URL; close(): Promise<void> }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: new URL(`${server instanceof TlsServer ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}/bucket/key?X-Amz-Signature=x`),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
