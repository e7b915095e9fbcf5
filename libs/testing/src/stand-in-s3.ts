import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Test support: `server` listening on a loopback port in place of S3, for the behaviours MinIO never
 * shows on cue (stalls, ignored headers, a full drive). `url` looks like a presigned object URL; `close` drops any
 * connection still open.
 */
export async function listenAsS3(server: Server): Promise<{ url: URL; close(): Promise<void> }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/bucket/key?X-Amz-Signature=x`),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
