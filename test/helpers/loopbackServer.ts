// A fixture HTTP server of a test's own (its handler serves the pages the test needs) on a free loopback port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  server: http.Server;
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Drops open (keep-alive) connections, then closes. */
  close(): Promise<void>;
}

export async function serveOnLoopback(handler: http.RequestListener): Promise<LoopbackServer> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
