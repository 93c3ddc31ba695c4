// Reading an image's size from response headers (the post-crawl image size check): pure, no I/O.

/** A non-negative integer header value (Content-Length), else null. */
export function intHeader(v: string | undefined): number | null {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

// The complete length of a Content-Range ("bytes 0-0/12345", or "bytes" then "*/12345" on a 416); null when unknown.
export function contentRangeTotal(v: string | undefined): number | null {
  const m = v === undefined ? null : /^\s*bytes\s+(?:\d+-\d+|\*)\/(\d+)\s*$/i.exec(v);
  return m ? intHeader(m[1]) : null;
}
