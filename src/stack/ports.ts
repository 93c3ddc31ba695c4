// Helpers of the local stack (Temporal dev server, PostgreSQL): ports, logging, process lifetime.

// Free ports are not dev-stack code (the worker binds its SDK metrics port with them): they live in src/ports.ts.
export { closedPort, getFreePort, isPortFree, preferPort } from '../ports';

/** Minimal logger shape, satisfied by pino and by console-like objects. */
export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };

export { maskUrl } from '../logger';

// --- Process lifetime: child servers must not outlive us. ---

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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
