// Credentials of sites behind a login (basic auth, extra headers, cookies). They are sealed with AES-256-GCM under
// a key derived from config SECRETS_KEY before they enter the workflow input, so Temporal history, audit_runs.options
// and logs only ever see ciphertext; the audit and discover activities open them just before fetching.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface RunCredentials {
  auth?: { username: string; password: string };
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
}

const VERSION = 'v1';

function keyOf(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function hasCredentials(c: RunCredentials | undefined): c is RunCredentials {
  return !!c && (c.auth !== undefined || Object.keys(c.headers ?? {}).length > 0 || Object.keys(c.cookies ?? {}).length > 0);
}

/** `v1.<base64url(iv ‖ tag ‖ ciphertext)>`; a fresh 12-byte IV every time. */
export function sealCredentials(creds: RunCredentials, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(creds), 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
}

/** Throws when the key is wrong or the blob was tampered with (GCM authentication). */
export function openCredentials(sealed: string, secret: string): RunCredentials {
  const [version, body] = sealed.split('.', 2);
  if (version !== VERSION || !body) throw new Error('unknown sealed credentials format');
  const raw = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  return JSON.parse(plain) as RunCredentials;
}

/** Request headers carrying the credentials (the fetcher drops Authorization and Cookie on cross-origin hops). */
export function credentialHeaders(creds: RunCredentials): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(creds.headers ?? {})) out[k.toLowerCase()] = v;
  const cookies = Object.entries(creds.cookies ?? {});
  if (cookies.length > 0) {
    const jar = cookies.map(([k, v]) => `${k}=${v}`).join('; ');
    out.cookie = out.cookie ? `${out.cookie}; ${jar}` : jar;
  }
  if (creds.auth) out.authorization = `Basic ${Buffer.from(`${creds.auth.username}:${creds.auth.password}`, 'utf8').toString('base64')}`;
  return out;
}

const opened = new Map<string, Record<string, string>>();

/** Headers for a run's sealed credentials (cached per blob in this process); {} when there are none. */
export function headersFor(sealed: string | undefined, secret: string | undefined): Record<string, string> {
  if (!sealed) return {};
  const hit = opened.get(sealed);
  if (hit) return hit;
  if (!secret) throw new Error('the run carries sealed credentials but SECRETS_KEY is not configured on this worker');
  const headers = credentialHeaders(openCredentials(sealed, secret));
  if (opened.size > 200) opened.clear();
  opened.set(sealed, headers);
  return headers;
}

export class MissingSecretsKeyError extends Error {
  constructor() {
    super('auth, headers and cookies need SECRETS_KEY to be configured (they are stored encrypted)');
  }
}

/**
 * Moves `auth`, `headers` and `cookies` out of run options into `sealedCredentials` (ciphertext). What comes back is
 * what may enter the workflow input and audit_runs.options.
 */
export function sealOptionCredentials<T extends RunCredentials>(options: T | undefined, secret: string | undefined): (Omit<T, 'auth' | 'headers' | 'cookies'> & { sealedCredentials?: string }) | undefined {
  if (!options) return options;
  const { auth, headers, cookies, ...rest } = options;
  const creds: RunCredentials = { ...(auth ? { auth } : {}), ...(headers ? { headers } : {}), ...(cookies ? { cookies } : {}) };
  if (!hasCredentials(creds)) return rest;
  if (!secret) throw new MissingSecretsKeyError();
  return { ...rest, sealedCredentials: sealCredentials(creds, secret) };
}
