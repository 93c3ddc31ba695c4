// Startup of the standalone processes (`npm run worker`, `npm run api`): a step that fails says what failed and what
// to do, in one paragraph on stderr and exit 1, never a stack trace (LOG_LEVEL=debug adds it).
import { ConfigError } from './config';

/** A startup failure whose message already says what to do. */
export class StartupError extends Error {}

const ADVICE = {
  database: 'Set DATABASE_URL to a PostgreSQL server this process can reach (run the migrations once with `npm run migrate`); `npm run stack` starts everything locally instead.',
  temporal: 'Set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, or a Temporal envconfig profile) to a reachable Temporal server; `npm run stack` starts a local dev server instead.',
} as const;

/** How much of an error's first line a startup failure quotes. */
const FIRST_LINE_CHARS = 300;

/** The first non-empty line of an error's message, at most 300 characters: what a one-paragraph failure quotes. */
export function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  const line = (m.split('\n').find((l) => l.trim()) ?? m).trim();
  // A longer line (the SDK's download error carries its whole URL) is cut where a word ends, and says it was cut.
  if (line.length <= FIRST_LINE_CHARS) return line;
  const cut = line.slice(0, FIRST_LINE_CHARS);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), FIRST_LINE_CHARS / 2)).trimEnd()} …`;
}

/** Runs one startup step; its failure becomes a StartupError naming the service it could not reach. */
export async function startupStep<T>(what: keyof typeof ADVICE, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const service = what === 'database' ? 'PostgreSQL' : 'Temporal';
    throw new StartupError(`Could not reach ${service} (${firstLine(err)}). ${ADVICE[what]}`, { cause: err });
  }
}

/** The paragraph a failed start prints: its own message for known failures, the first line of anything else. */
export function startupFailureText(component: string, err: unknown, debug = process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace'): string {
  const known = err instanceof StartupError || err instanceof ConfigError;
  const text = known ? (err as Error).message : `${firstLine(err)}. Run again with LOG_LEVEL=debug for details.`;
  const stack = debug && err instanceof Error && err.stack ? `\n${err.stack}` : '';
  return `sitesweep ${component} could not start: ${text}${stack}\n`;
}
