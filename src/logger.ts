// One pino logger per process. Secrets are redacted by path, and database URLs are masked before they are logged.
import pino, { type Logger } from 'pino';

/**
 * The process's pino logger. Services log to stdout; CLI commands pass `stderr`, so that their output on stdout (a
 * summary, `--json`, an export) is never mixed with log lines.
 */
export function createLogger(level: string = 'info', name = 'sitesweep', to: 'stdout' | 'stderr' = 'stdout'): Logger {
  const options = {
    name,
    level,
    redact: {
      paths: ['*.password', '*.token', '*.apiKey', '*.authorization', 'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'databaseUrl', '*.databaseUrl'],
      censor: '[redacted]',
    },
  };
  return to === 'stderr' ? pino(options, pino.destination({ dest: 2, sync: true })) : pino(options);
}

/** Hide the password of a URL before it is logged: postgres://user:secret@host/db → postgres://user:***@host/db. */
export function maskUrl(url: string | undefined): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Not a URL the WHATWG parser takes (a libpq string with odd characters): still no password.
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

export type { Logger };
