// Sitemap parsing (XML urlset / sitemapindex, or plain text). Never throws: a broken sitemap is a finding,
// not a reason to stop discovery, so problems go to `errors` and whatever can be salvaged is returned.
import { XMLParser } from 'fast-xml-parser';

export type SitemapKind = 'urlset' | 'sitemapindex' | 'unknown';

export interface SitemapEntry {
  loc: string;
  lastmod?: string;
}

export interface ParsedSitemap {
  kind: SitemapKind;
  /** Page URLs of a urlset (or plain-text sitemap), trimmed and entity-decoded, in file order. */
  urls: SitemapEntry[];
  /** Child sitemap URLs of a sitemapindex. */
  sitemaps: string[];
  errors: string[];
}

export interface ParseSitemapOptions {
  /** Entries taken at most (the protocol's own per-file limit by default). */
  maxEntries?: number;
}

export const DEFAULT_MAX_SITEMAP_ENTRIES = 50_000;
/** Individual error messages kept; the rest are counted in one summary line. */
const MAX_ERROR_MESSAGES = 20;

// One parser for all calls: it holds only options. Namespace prefixes are dropped (<sm:url> → url) and
// tag names lower-cased so sloppy generators still parse; url/sitemap are always arrays, even when single.
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  transformTagName: (name) => name.toLowerCase(),
  isArray: (name) => name === 'url' || name === 'sitemap',
});

/** gzip magic bytes (1f 8b): sitemaps are often served gzipped without a Content-Encoding header. */
export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** fast-xml-parser decodes the named XML entities but not numeric character references. */
function decodeCharRefs(s: string): string {
  if (s.indexOf('&#') < 0) return s;
  return s.replace(/&#(x[0-9a-f]+|[0-9]+);/gi, (whole, ref: string) => {
    const code = ref[0] === 'x' || ref[0] === 'X' ? parseInt(ref.slice(1), 16) : parseInt(ref, 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

function isHttpUrl(s: string): boolean {
  return /^https?:\/\//i.test(s) && URL.canParse(s);
}

/** Text of an element as fast-xml-parser returns it: a string, or the first of repeated elements. */
function textOf(v: unknown): string | undefined {
  if (Array.isArray(v)) return textOf(v[0]);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v !== null && typeof v === 'object' && '#text' in v) return textOf((v as Record<string, unknown>)['#text']);
  return undefined;
}

class Collector {
  readonly urls: SitemapEntry[] = [];
  readonly sitemaps: string[] = [];
  readonly errors: string[] = [];
  private invalid = 0;
  private firstInvalid: string[] = [];
  private capped = false;

  constructor(private readonly max: number) {}

  private full(): boolean {
    if (this.urls.length + this.sitemaps.length < this.max) return false;
    this.capped = true;
    return true;
  }

  /** Returns false once the cap is reached, so callers can stop iterating. */
  addUrl(loc: string | undefined, lastmod: string | undefined): boolean {
    if (this.full()) return false;
    const clean = loc === undefined ? '' : decodeCharRefs(loc.trim());
    if (!isHttpUrl(clean)) return this.bad(clean);
    const entry: SitemapEntry = { loc: clean };
    const lm = lastmod?.trim();
    if (lm) entry.lastmod = lm;
    this.urls.push(entry);
    return true;
  }

  addSitemap(loc: string | undefined): boolean {
    if (this.full()) return false;
    const clean = loc === undefined ? '' : decodeCharRefs(loc.trim());
    if (!isHttpUrl(clean)) return this.bad(clean);
    this.sitemaps.push(clean);
    return true;
  }

  private bad(loc: string): boolean {
    this.invalid++;
    if (this.firstInvalid.length < 5) this.firstInvalid.push(loc === '' ? '(empty)' : loc.slice(0, 200));
    return true;
  }

  error(msg: string): void {
    this.errors.push(msg);
  }

  finish(kind: SitemapKind): ParsedSitemap {
    if (this.invalid > 0) {
      this.errors.push(`${this.invalid} entries without an absolute http(s) <loc>, e.g. ${this.firstInvalid.join(', ')}`);
    }
    if (this.capped) this.errors.push(`more than ${this.max} entries; only the first ${this.max} were taken`);
    const errors = this.errors.length > MAX_ERROR_MESSAGES
      ? [...this.errors.slice(0, MAX_ERROR_MESSAGES), `… and ${this.errors.length - MAX_ERROR_MESSAGES} more errors`]
      : this.errors;
    return { kind, urls: this.urls, sitemaps: this.sitemaps, errors };
  }
}

/** Plain-text sitemap: one absolute URL per line (Google accepts these as .txt sitemaps). */
function parseText(text: string, c: Collector): ParsedSitemap {
  const lines = text.split(/\r\n|\r|\n/);
  let nonUrlLines = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (!isHttpUrl(line)) {
      if (nonUrlLines++ < 5) c.error(`line ${i + 1}: not an absolute http(s) URL: ${line.slice(0, 200)}`);
      continue;
    }
    if (!c.addUrl(line, undefined)) break;
  }
  if (nonUrlLines > 5) c.error(`${nonUrlLines} lines in all are not absolute http(s) URLs`);
  if (c.urls.length === 0) {
    c.error('neither an XML sitemap nor a list of URLs');
    return c.finish('unknown');
  }
  return c.finish('urlset');
}

/** Entries of a parsed urlset/sitemapindex object. */
function collectParsed(kind: 'urlset' | 'sitemapindex', root: unknown, c: Collector): void {
  const rootObj = root !== null && typeof root === 'object' ? (root as Record<string, unknown>) : {};
  const items = rootObj[kind === 'urlset' ? 'url' : 'sitemap'];
  if (!Array.isArray(items)) return;
  for (const item of items) {
    const obj = item !== null && typeof item === 'object' ? (item as Record<string, unknown>) : {};
    const ok = kind === 'urlset' ? c.addUrl(textOf(obj.loc), textOf(obj.lastmod)) : c.addSitemap(textOf(obj.loc));
    if (!ok) break;
  }
}

const ROOT_RE = /<(?:[\w.-]+:)?(urlset|sitemapindex)[\s>/]/i;
const LOC_RE = /<(?:[\w.-]+:)?loc\s*>\s*(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<]*))\s*<\/(?:[\w.-]+:)?loc\s*>/gi;
const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Last resort for XML the parser rejects (often a sitemap cut off by a size cap): scan <loc> elements.
 * Inside a urlset, image/video <loc>s would be picked up too, so they are skipped by their prefix.
 */
function scanLocs(xml: string, kind: 'urlset' | 'sitemapindex', c: Collector): void {
  LOC_RE.lastIndex = 0;
  for (let m = LOC_RE.exec(xml); m !== null; m = LOC_RE.exec(xml)) {
    const tag = m[0].slice(1, m[0].indexOf('>')).trim().toLowerCase();
    if (/^(image|video|news|xhtml):/.test(tag)) continue;
    const raw = m[1] ?? m[2].replace(/&(amp|lt|gt|quot|apos);/g, (_w, e: string) => XML_ENTITIES[e]);
    const ok = kind === 'urlset' ? c.addUrl(raw, undefined) : c.addSitemap(raw);
    if (!ok) break;
  }
}

function isClosed(text: string, kind: 'urlset' | 'sitemapindex'): boolean {
  const tail = text.slice(-512);
  if (new RegExp(`</(?:[\\w.-]+:)?${kind}\\s*>`, 'i').test(tail)) return true;
  // An empty root written as <urlset/> has no closing tag.
  return new RegExp(`<(?:[\\w.-]+:)?${kind}\\b[^>]*/>`, 'i').test(text.slice(0, 4096));
}

export function parseSitemap(xml: string, opts?: ParseSitemapOptions): ParsedSitemap {
  const max = Math.max(0, opts?.maxEntries ?? DEFAULT_MAX_SITEMAP_ENTRIES);
  const c = new Collector(max);
  let text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  text = text.trimStart();
  if (text === '') {
    c.error('empty sitemap');
    return c.finish('unknown');
  }
  if (text[0] !== '<') return parseText(text, c);

  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (err) {
    const rootMatch = ROOT_RE.exec(text);
    c.error(`XML parse error: ${err instanceof Error ? err.message : String(err)}`);
    if (!rootMatch) return c.finish('unknown');
    const kind = rootMatch[1].toLowerCase() as 'urlset' | 'sitemapindex';
    scanLocs(text, kind, c);
    return c.finish(kind);
  }

  const top = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>) : {};
  for (const kind of ['urlset', 'sitemapindex'] as const) {
    if (!(kind in top)) continue;
    // The parser closes open tags itself, so a cut-off file (size cap, dropped connection) parses silently.
    if (!isClosed(text, kind)) c.error(`document ends before </${kind}> (truncated?)`);
    collectParsed(kind, top[kind], c);
    return c.finish(kind);
  }
  const names = Object.keys(top).filter((k) => !k.startsWith('?') && !k.startsWith('!') && k !== '#text');
  c.error(names.length > 0
    ? `root element <${names[0]}> is not <urlset> or <sitemapindex>`
    : 'no <urlset> or <sitemapindex> element');
  return c.finish('unknown');
}
