// Retry timing helpers. Pure: the clock and the random source are parameters so tests can pin them.

/**
 * Exponential backoff with "full jitter" (AWS Architecture Blog): a uniform wait in [0, min(max, base·2^attempt)).
 * Full jitter spreads retries of many crawler slots hitting one host instead of letting them retry in lockstep.
 * `attempt` is 0 for the wait after the first failed attempt.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * Math.max(0, ceiling));
}

/**
 * Parse a `Retry-After` header (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date.
 * Returns the wait in milliseconds (never negative), or null when the header is absent or unparseable.
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | null {
  if (header == null) return null;
  const value = header.trim();
  if (value === '') return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Date.parse understands IMF-fixdate and the obsolete RFC 850 / asctime forms the RFC asks us to accept, but it
  // also takes "-5" or "2025" as dates; every HTTP-date names its month, so require letters.
  if (!/[a-z]/i.test(value)) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
