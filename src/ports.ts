// Free TCP ports: for the local stack's servers, the worker's SDK metrics endpoint, and tests.
import net from 'node:net';

// Ports handed out by this process and not yet reused: a port returned twice in a row before
// the caller binds it would otherwise collide (the OS may hand the same ephemeral port back).
const handedOut = new Set<number>();

function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port, host, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(got));
    });
  });
}

/** A port nobody listens on right now (bound then released; a small race remains by nature). */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await listenOnce(0, host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return listenOnce(0, host);
}

/** True when `port` can be bound on `host` (nothing listens there). */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    await listenOnce(port, host);
    return true;
  } catch {
    return false;
  }
}

/** `preferred` if it is free, else a free port. */
export async function preferPort(preferred: number, host = '127.0.0.1'): Promise<number> {
  return (await isPortFree(preferred, host)) ? preferred : getFreePort(host);
}

/**
 * A port nothing listens on, for connection-refused cases: a free port that getFreePort will not hand out again in
 * this process (so no server of ours takes it meanwhile).
 */
export function closedPort(host = '127.0.0.1'): Promise<number> {
  return getFreePort(host);
}
