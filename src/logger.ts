// One pino logger per process. Secrets are redacted by path, and database URLs are masked before they are logged.
import pino, { type Logger } from 'pino';

export function createLogger(level: string = 'info', name = 'sitesweep'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['*.password', '*.token', '*.apiKey', '*.authorization', 'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'databaseUrl', '*.databaseUrl'],
      censor: '[redacted]',
    },
  });
}

/** postgres://user:secret@host/db → postgres://user:***@host/db */
export function maskUrl(url: string | undefined): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparsable url]';
  }
}

export type { Logger };
