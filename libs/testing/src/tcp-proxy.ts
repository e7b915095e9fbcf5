import net from 'node:net';

export interface TcpProxy {
  /** `127.0.0.1:<port>`: connect here instead of the target. */
  host: string;
  port: number;
  /**
   * A network stall: bytes already in flight stay where they are and nothing more crosses in
   * either direction; connections stay open and new ones are accepted but not forwarded — what a
   * partition or a hung switch looks like to both ends (no reset, no FIN).
   */
  stall(): void;
  /** Ends the stall: held bytes and held connections go through. */
  resume(): void;
  /** Connections currently open through the proxy. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy on a free loopback port that a test controls: between a process under test and a
 * dependency (a service and its Postgres), so the test can stall the network between them without
 * touching either. Byte-transparent, so TLS and Postgres's protocol pass unchanged.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let stalled = false;
  interface Pair {
    client: net.Socket;
    upstream: net.Socket | undefined;
    /** Bytes read before a stall took hold, delivered when it ends. */
    pending: Array<{ to: net.Socket; chunk: Buffer }>;
  }
  const pairs = new Set<Pair>();
  const held: Pair[] = [];

  const end = (pair: Pair) => {
    pair.client.destroy();
    pair.upstream?.destroy();
    pairs.delete(pair);
  };
  // Forwarded by hand rather than piped: a piped source resumes itself when its destination
  // drains, which would end a stall early.
  const forward = (pair: Pair, from: net.Socket, to: net.Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (stalled) pair.pending.push({ to, chunk });
      else to.write(chunk);
    });
  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', () => end(pair)).on('close', () => end(pair));
    forward(pair, pair.client, upstream);
    forward(pair, upstream, pair.client);
    pair.client.resume();
  };

  const server = net.createServer((client) => {
    const pair: Pair = { client, upstream: undefined, pending: [] };
    pairs.add(pair);
    client.pause();
    client.on('error', () => end(pair)).on('close', () => end(pair));
    if (stalled) held.push(pair);
    else connectUpstream(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    stall() {
      stalled = true;
      // Not reading: what the peers send next waits in kernel buffers, as on a dead link.
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream?.pause();
      }
    },
    resume() {
      stalled = false;
      for (const pair of pairs) {
        if (pair.upstream === undefined) continue; // held at accept: connected below
        for (const { to, chunk } of pair.pending.splice(0)) to.write(chunk);
        pair.client.resume();
        pair.upstream.resume();
      }
      for (const pair of held.splice(0)) if (!pair.client.destroyed) connectUpstream(pair);
    },
    connections: () => pairs.size,
    async close() {
      for (const pair of [...pairs]) end(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
