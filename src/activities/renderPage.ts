// The crawl activity's hook for render: "chromium": renders a fetched HTML page in the worker's browser pool
// (src/crawl/render.ts), runs the checks on the rendered DOM, and keeps what rendering changed (page_audits.data.render
// and the js_rendered_content_differs finding). A page that cannot be rendered keeps its raw-HTML analysis and says why.
import { getDomain } from 'tldts';
import type { AnalyzeOptions, PageAnalysis } from '../audit/analyzePage';
import { renderDiff, renderDiffFinding, type RenderDiff } from '../audit/renderDiff';
import type { FetchResult } from '../crawl/fetcher';
import { RenderUnavailableError, type Renderer, type RenderInput, type RenderResult } from '../crawl/render';
import type { Analyze } from './analyzePool';

/** What page_audits.data.render holds for a rendered page. */
export interface RenderRecord {
  mode: 'chromium';
  ms?: number;
  timedOut?: boolean;
  requests?: RenderResult['requests'];
  blocked?: RenderResult['blocked'];
  jsNavigation?: string;
  /** Raw HTML vs rendered DOM: only the fields that differ. */
  diff?: RenderDiff;
  /** Why the page was checked on its raw HTML instead. */
  error?: string;
}

/** Same site as a browser means it: the same registrable domain (any subdomain, scheme or port); IPs and single-label hosts by equality. */
export function sameSiteAs(pageUrl: string): (url: string) => boolean {
  const siteOf = (u: string): string | null => {
    try {
      const host = new URL(u).hostname.toLowerCase().replace(/^\[|\]$/g, '');
      return getDomain(host, { allowPrivateDomains: true }) ?? host;
    } catch {
      return null;
    }
  };
  const site = siteOf(pageUrl);
  return (url) => site !== null && siteOf(url) === site;
}

export interface RenderPageContext {
  renderer: Renderer | undefined;
  analyze: Analyze;
  analyzeOptions: AnalyzeOptions;
  userAgent: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  /** The crawl's per-host politeness for the browser's subresource fetches. */
  gate?: RenderInput['gate'];
  onUnavailable?: (err: Error) => void;
}

/** The rendered analysis of a 2xx HTML page (null for anything else: redirects, errors, non-HTML). */
export async function renderAndAnalyze(res: FetchResult, raw: PageAnalysis, ctx: RenderPageContext): Promise<{ analysis: PageAnalysis; render: RenderRecord } | null> {
  const isHtml = /^(text\/html|application\/xhtml\+xml)/i.test(res.contentType ?? 'text/html');
  if (res.body === null || !isHtml || res.statusCode < 200 || res.statusCode >= 300 || res.redirectChain.length > 0) return null;
  if (!ctx.renderer) return { analysis: raw, render: { mode: 'chromium', error: 'this worker has no renderer' } };
  let out: RenderResult;
  try {
    out = await ctx.renderer.render({
      url: res.finalUrl,
      statusCode: res.statusCode,
      contentType: res.contentType,
      html: res.body,
      isSameSite: sameSiteAs(res.finalUrl),
      userAgent: ctx.userAgent,
      headers: ctx.headers,
      signal: ctx.signal,
      gate: ctx.gate,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    if (err instanceof RenderUnavailableError) ctx.onUnavailable?.(err);
    return { analysis: raw, render: { mode: 'chromium', error: String((err as Error).message).split('\n')[0].slice(0, 300) } };
  }
  const rendered = await ctx.analyze({ ...res, body: out.html }, ctx.analyzeOptions);
  const diff = renderDiff(raw, rendered);
  const finding = renderDiffFinding(diff);
  if (finding) rendered.findings.push(finding);
  return {
    analysis: rendered,
    render: {
      mode: 'chromium', ms: out.durationMs, timedOut: out.timedOut, requests: out.requests,
      ...(out.blocked.length ? { blocked: out.blocked } : {}),
      ...(out.jsNavigation ? { jsNavigation: out.jsNavigation } : {}),
      diff,
    },
  };
}
