// Free TCP ports on 127.0.0.1 for the local stack (Temporal dev server, PostgreSQL).
import net from 'node:net';

/** Minimal logger shape, satisfied by pino and by console-like objects. */
export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };

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

/** Hide the password of a URL before it is logged: postgres://u:***@h/db. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

// --- Process lifetime: child servers must not outlive us. ---

type AsyncCleanup = () => Promise<void>;
const cleanups = new Set<AsyncCleanup>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let signalsHooked = false;

function onSignal(sig: NodeJS.Signals): void {
  // Someone else handles this signal (the CLI, the worker): they own shutdown and call stop().
  if (process.listenerCount(sig) > 1) return;
  const all = [...cleanups];
  cleanups.clear();
  const timeout = new Promise<void>((r) => setTimeout(r, 10_000).unref());
  void Promise.race([Promise.allSettled(all.map((fn) => fn())), timeout]).finally(() => {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.kill(process.pid, sig); // die the conventional way
  });
}

/**
 * Run `stop` when the process gets SIGINT/SIGTERM/SIGHUP and nobody else listens for it
 * (otherwise Node would die and leave the server running). Returns an unregister function.
 */
export function stopOnSignal(stop: AsyncCleanup): () => void {
  if (!signalsHooked) {
    signalsHooked = true;
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  cleanups.add(stop);
  return () => {
    cleanups.delete(stop);
  };
}
