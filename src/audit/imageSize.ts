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

// ---------- image URLs beyond <img src> (srcset, CSS backgrounds): pure parsing, no I/O ----------

/**
 * The URLs of a srcset attribute (<img srcset>, <picture><source srcset>), in order, per the HTML parsing rules: a
 * candidate's URL runs to the next whitespace (commas inside it are part of it, trailing ones end it), its descriptors
 * ("2x", "640w") run to the next comma outside parentheses.
 */
export function srcsetUrls(srcset: string): string[] {
  const out: string[] = [];
  const n = srcset.length;
  const space = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
  let i = 0;
  while (i < n) {
    while (i < n && (space(srcset[i]) || srcset[i] === ',')) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && !space(srcset[j])) j++;
    let url = srcset.slice(i, j);
    i = j;
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '');
    } else {
      for (let depth = 0; i < n; i++) {
        const c = srcset[i];
        if (c === '(') depth++;
        else if (c === ')') depth = Math.max(0, depth - 1);
        else if (c === ',' && depth === 0) break;
      }
    }
    if (url !== '') out.push(url);
  }
  return out;
}

/** Properties whose url() values are images a page shows (fonts, imports and cursors are not). */
const IMAGE_PROPERTY = /^(?:background|background-image|list-style|list-style-image|border-image|border-image-source)$/;
/** One declaration: a property and its value up to `;` or `}` (quoted strings and parentheses, two deep, may hold either). */
const DECLARATION = /([-a-zA-Z]+)\s*:\s*((?:[^;{}"'(]|"[^"]*"|'[^']*'|\((?:[^()"']|"[^"]*"|'[^']*'|\((?:[^()"']|"[^"]*"|'[^']*')*\))*\))*)/g;
const CSS_URL = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)/gi;
/** CSS larger than this (per style block or attribute) is read up to here only. */
const MAX_CSS_CHARS = 256 * 1024;

/**
 * The image URLs of CSS written in the page (a <style> block, or a style attribute's declarations): url() values of
 * background and other image properties, in order, comments ignored. Relative URLs resolve against the page's base.
 */
export function cssImageUrls(css: string): string[] {
  const text = (css.length > MAX_CSS_CHARS ? css.slice(0, MAX_CSS_CHARS) : css).replace(/\/\*[\s\S]*?(?:\*\/|$)/g, ' ');
  if (!/url\(/i.test(text)) return [];
  const out: string[] = [];
  for (const d of text.matchAll(DECLARATION)) {
    if (!IMAGE_PROPERTY.test(d[1].toLowerCase())) continue;
    for (const u of d[2].matchAll(CSS_URL)) {
      const url = (u[1] ?? u[2] ?? u[3] ?? '').trim();
      if (url !== '') out.push(url);
    }
  }
  return out;
}
