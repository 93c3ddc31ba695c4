// Redaction of URLs and text, as pure functions: the workflow sandbox (event payloads) and the alert senders share them.

/** A URL without user:password@ (and without its query string, which may carry tokens). */
export function publicUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return stripUserinfo(url);
  }
}

/** user:password@ inside any text (an error message that quotes a URL) → user:[redacted]@. */
export function stripUserinfo(text: string): string {
  return text.replace(/(\/\/[^/\s:@]*):[^@\s/]*@/g, '$1:[redacted]@');
}
