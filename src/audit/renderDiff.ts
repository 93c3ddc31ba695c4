// What JavaScript changed: the raw HTML's analysis against the rendered DOM's (Screaming Frog's JavaScript tab).
// Pure: compares two PageAnalysis results and says which fields only exist (or differ) after rendering.
import type { PageAnalysis } from './analyzePage';
import type { Finding } from './types';

export const JS_RENDERED_CONTENT_DIFFERS = 'js_rendered_content_differs';

/** A field whose value differs between the raw HTML and the rendered DOM. */
export interface FieldChange<T> {
  raw: T;
  rendered: T;
}

export interface RenderDiff {
  title?: FieldChange<string | null>;
  description?: FieldChange<string | null>;
  canonical?: FieldChange<string | null>;
  h1?: FieldChange<string | null>;
  noindex?: FieldChange<boolean>;
  wordCount?: FieldChange<number>;
  /** Links: counts in each, and the links only the rendered DOM has (capped list; `added` is the full count). */
  links?: { raw: number; rendered: number; added: number; removed: number; addedUrls: string[] };
}

/** Words may differ by a little (a date, a counter) without the page depending on JavaScript for its text. */
const WORD_COUNT_TOLERANCE = 0.1;
const MAX_ADDED_LISTED = 20;

export function renderDiff(raw: PageAnalysis, rendered: PageAnalysis): RenderDiff {
  const diff: RenderDiff = {};
  const text = (k: 'title' | 'description' | 'canonical' | 'h1') => {
    if ((raw[k] ?? null) !== (rendered[k] ?? null)) diff[k] = { raw: raw[k], rendered: rendered[k] };
  };
  text('title');
  text('description');
  text('canonical');
  text('h1');
  if (raw.noindex !== rendered.noindex) diff.noindex = { raw: raw.noindex, rendered: rendered.noindex };
  const base = Math.max(raw.wordCount, rendered.wordCount);
  if (raw.wordCount !== rendered.wordCount && Math.abs(raw.wordCount - rendered.wordCount) > base * WORD_COUNT_TOLERANCE) {
    diff.wordCount = { raw: raw.wordCount, rendered: rendered.wordCount };
  }
  const rawUrls = new Set(raw.outlinks.map((l) => l.url));
  const renderedUrls = new Set(rendered.outlinks.map((l) => l.url));
  const addedUrls = [...renderedUrls].filter((u) => !rawUrls.has(u));
  const removed = [...rawUrls].filter((u) => !renderedUrls.has(u)).length;
  if (addedUrls.length > 0 || removed > 0) {
    diff.links = { raw: rawUrls.size, rendered: renderedUrls.size, added: addedUrls.length, removed, addedUrls: addedUrls.slice(0, MAX_ADDED_LISTED) };
  }
  return diff;
}

/** The finding for a page whose SEO-relevant content depends on JavaScript; null when rendering changed nothing that counts. */
export function renderDiffFinding(diff: RenderDiff): Finding | null {
  const parts: string[] = [];
  if (diff.title) parts.push(diff.title.raw === null ? 'title added' : 'title changed');
  if (diff.description) parts.push(diff.description.raw === null ? 'description added' : 'description changed');
  if (diff.canonical) parts.push(diff.canonical.raw === null ? 'canonical added' : 'canonical changed');
  if (diff.h1) parts.push(diff.h1.raw === null ? 'h1 added' : 'h1 changed');
  if (diff.noindex) parts.push(diff.noindex.rendered ? 'noindex added' : 'noindex removed');
  if (diff.links) parts.push(`links +${diff.links.added}/-${diff.links.removed}`);
  if (diff.wordCount) parts.push(`words ${diff.wordCount.raw} → ${diff.wordCount.rendered}`);
  if (parts.length === 0) return null;
  return { code: JS_RENDERED_CONTENT_DIFFERS, severity: 'warning', detail: parts.join(', ') };
}
