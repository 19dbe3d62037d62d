import net from 'node:net';

// A small real TCP proxy in front of a server (PostgreSQL in our tests) that can misbehave on demand like a
// network does: drop every connection, refuse new ones for a while (nothing listening), or hold packets (a
// stalled peer: connections stay open, nothing arrives). Bytes pass through untouched otherwise.

export interface TcpProxy {
  readonly port: number;
  /** The same URL with host and port replaced by the proxy's. */
  url(target: string): string;
  /** Connections currently open through the proxy. */
  readonly open: number;
  /** Destroys every open connection (both sides), like a dropped network. */
  dropAll(): void;
  /** Stops listening for ms (new connections get ECONNREFUSED), then listens again on the same port. */
  refuseFor(ms: number): Promise<void>;
  /** true: every byte in either direction is held (existing and new connections); false: released in order. */
  stall(on: boolean): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  held: { to: net.Socket; chunk: Buffer }[];
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let stalled = false;

  const forward = (pair: Pair, to: net.Socket, chunk: Buffer): void => {
    if (stalled) pair.held.push({ to, chunk });
    else if (!to.destroyed) to.write(chunk);
  };

  const onConnection = (client: net.Socket): void => {
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, held: [] };
    pairs.add(pair);
    const close = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (c: Buffer) => forward(pair, upstream, c));
    upstream.on('data', (c: Buffer) => forward(pair, client, c));
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
  };

  let server = net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  const dropAll = (): void => {
    for (const p of [...pairs]) {
      pairs.delete(p);
      p.client.destroy();
      p.upstream.destroy();
    }
  };

  const stopListening = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

  return {
    port,
    get open() {
      return pairs.size;
    },
    url(targetUrl) {
      const u = new URL(targetUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    dropAll,
    async refuseFor(ms) {
      // server.close() waits for open connections; it resolves when they end, so don't wait for it here.
      void stopListening();
      await new Promise((r) => setTimeout(r, ms));
      server = net.createServer(onConnection);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
    },
    stall(on) {
      stalled = on;
      if (on) return;
      for (const p of pairs) {
        for (const { to, chunk } of p.held.splice(0)) if (!to.destroyed) to.write(chunk);
      }
    },
    async close() {
      stalled = false;
      dropAll();
      await stopListening().catch(() => undefined);
    },
  };
}
