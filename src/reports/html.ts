// One self-contained HTML report of a run: inline CSS, inline SVG charts, no script, no external resource, so it opens
// from a file, a CI artifact or an e-mail attachment without a network. Pure: renders data it is given.
import type { CheckDefinition } from '../audit/catalogue';
import { formatDuration } from './text';

export interface HtmlReportInput {
  runId: string;
  siteUrl: string;
  status: string;
  healthScore: number;
  averagePageScore: number;
  pages: number;
  pagesWithCritical: number;
  bySeverity: Record<string, number>;
  issues: Array<CheckDefinition & { count: number }>;
  /**
   * Affected pages per code (the first few), with the total. A site finding's item may name the links that concern
   * the page (a broken target's source pages: where to fix it) and the other pages of its group (a shared title).
   */
  affected: Record<string, { count: number; items: AffectedItem[] }>;
  statusCodes: Record<string, number>;
  failureReasons: Array<{ reason: string; count: number }>;
  pagesAudited: number;
  pagesFailed: number;
  durationMs: number | null;
  generatedAt: string;
  webUiUrl?: string;
}

export interface AffectedItem {
  url: string;
  detail?: string | null;
  sources?: Array<{ from: string; to: string; text: string }>;
  /** The full number of sources when `sources` is cut (a link target's). */
  sourcesTotal?: number;
  group?: string[];
  groupSize?: number;
}

/** Links and group members shown under one affected page; the rest is counted. */
const RELATED_SHOWN = 5;

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const SEV_COLOR: Record<string, string> = { critical: '#c62828', warning: '#ef6c00', notice: '#1565c0' };

/** Horizontal bar chart as inline SVG. */
function bars(rows: Array<{ label: string; value: number; color?: string }>, title: string): string {
  if (rows.length === 0) return `<p class="muted">No data.</p>`;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const h = 26;
  const width = 560;
  const labelW = 170;
  const body = rows
    .map((r, i) => {
      const w = Math.max(2, Math.round(((width - labelW - 60) * r.value) / max));
      const y = i * h;
      return `<text x="0" y="${y + 17}" class="lbl">${esc(r.label)}</text><rect x="${labelW}" y="${y + 4}" width="${w}" height="18" rx="3" fill="${r.color ?? '#546e7a'}"/><text x="${labelW + w + 6}" y="${y + 17}" class="val">${r.value}</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="${esc(title)}" width="${width}" height="${rows.length * h}" viewBox="0 0 ${width} ${rows.length * h}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>${body}</svg>`;
}

/** Health score as a ring gauge. */
function gauge(score: number): string {
  const r = 52;
  const c = 2 * Math.PI * r;
  const color = score >= 90 ? '#2e7d32' : score >= 70 ? '#ef6c00' : '#c62828';
  return `<svg role="img" aria-label="Health score ${score}" width="140" height="140" viewBox="0 0 140 140" xmlns="http://www.w3.org/2000/svg"><title>Health score ${score}</title><circle cx="70" cy="70" r="${r}" fill="none" stroke="#e0e0e0" stroke-width="14"/><circle cx="70" cy="70" r="${r}" fill="none" stroke="${color}" stroke-width="14" stroke-dasharray="${((c * score) / 100).toFixed(1)} ${c.toFixed(1)}" transform="rotate(-90 70 70)"/><text x="70" y="78" text-anchor="middle" font-size="28" font-weight="700" fill="${color}">${score}</text></svg>`;
}

/** The first RELATED_SHOWN of `items`, then how many more of `total` there are. */
function firstFew(items: string[], total = items.length): string {
  const shown = items.slice(0, RELATED_SHOWN);
  return `${shown.join(', ')}${total > shown.length ? `, … ${total - shown.length} more` : ''}`;
}

/** What else a site finding's page comes with: the pages linking to it (or it links to), the rest of its group. */
function related(p: AffectedItem): string {
  const link = (u: string) => `<a href="${esc(u)}">${esc(u)}</a>`;
  const anchor = (t: string) => (t ? ` <span class="muted">“${esc(t)}”</span>` : '');
  const sources = p.sources ?? [];
  const from = sources.filter((x) => x.to === p.url && x.from !== p.url);
  const to = sources.filter((x) => x.from === p.url && x.to !== p.url);
  const others = (p.group ?? []).filter((u) => u !== p.url);
  const parts: string[] = [];
  if (from.length) parts.push(`linked from ${firstFew(from.map((x) => `${link(x.from)}${anchor(x.text)}`), Math.max(from.length, p.sourcesTotal ?? 0))}`);
  if (to.length) parts.push(`links to ${firstFew(to.map((x) => `${link(x.to)}${anchor(x.text)}`))}`);
  if (others.length) parts.push(`with ${firstFew(others.map(link), (p.groupSize ?? others.length + 1) - 1)}`);
  return parts.length ? `<div class="related">${parts.join('<br>')}</div>` : '';
}

export function renderHtmlReport(r: HtmlReportInput): string {
  const severities = ['critical', 'warning', 'notice'] as const;
  const findings = severities
    .map((sev) => {
      const list = r.issues.filter((i) => i.severity === sev).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
      if (list.length === 0) return '';
      const items = list
        .map((i) => {
          const a = r.affected[i.code];
          const pages = a?.items.length
            ? `<ul class="pages">${a.items.map((p) => `<li><a href="${esc(p.url)}">${esc(p.url)}</a>${p.detail ? ` <span class="muted">— ${esc(p.detail)}</span>` : ''}${related(p)}</li>`).join('')}${a.count > a.items.length ? `<li class="muted">… and ${a.count - a.items.length} more</li>` : ''}</ul>`
            : '';
          return `<details class="finding ${sev}" id="check-${esc(i.code)}"${sev === 'critical' ? ' open' : ''}><summary><span class="badge ${sev}">${sev}</span> <strong>${esc(i.title)}</strong> <code>${esc(i.code)}</code> <span class="count">${i.count} page(s)</span></summary><p>${esc(i.description)}</p><p><b>Why it matters:</b> ${esc(i.why)}</p><p><b>How to fix:</b> ${esc(i.fix)}</p>${pages}</details>`;
        })
        .join('');
      return `<h3>${sev[0].toUpperCase()}${sev.slice(1)} (${r.bySeverity[sev] ?? 0})</h3>${items}`;
    })
    .join('');
  const statusRows = Object.entries(r.statusCodes).sort((a, b) => a[0].localeCompare(b[0])).map(([code, n]) => ({ label: code, value: n, color: code.startsWith('2') ? '#2e7d32' : code.startsWith('3') ? '#1565c0' : code.startsWith('4') || code.startsWith('5') ? '#c62828' : '#546e7a' }));
  const failRows = r.failureReasons.map((f) => ({ label: f.reason, value: f.count, color: '#c62828' }));
  const sevRows = severities.map((s) => ({ label: s, value: r.bySeverity[s] ?? 0, color: SEV_COLOR[s] }));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sitesweep report — ${esc(r.siteUrl)}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#212121;background:#fafafa}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #e0e0e0;padding-bottom:4px}
.muted{color:#757575}.cards{display:flex;gap:16px;flex-wrap:wrap;align-items:center}
.card{background:#fff;border:1px solid #e0e0e0;border-radius:8px;padding:12px 16px;min-width:120px}
.card b{display:block;font-size:22px}
.finding{background:#fff;border:1px solid #e0e0e0;border-left:4px solid #9e9e9e;border-radius:6px;margin:8px 0;padding:8px 12px}
.finding.critical{border-left-color:#c62828}.finding.warning{border-left-color:#ef6c00}.finding.notice{border-left-color:#1565c0}
.badge{display:inline-block;color:#fff;border-radius:4px;padding:0 6px;font-size:12px;text-transform:uppercase}
.badge.critical{background:#c62828}.badge.warning{background:#ef6c00}.badge.notice{background:#1565c0}
.count{float:right;color:#616161}.pages{font-size:13px}.related{margin:2px 0 6px 12px;color:#424242}code{background:#eceff1;padding:0 4px;border-radius:3px}
svg .lbl{font-size:13px;fill:#424242}svg .val{font-size:12px;fill:#616161}
summary{cursor:pointer}
</style></head><body><main>
<h1>SEO audit of <a href="${esc(r.siteUrl)}">${esc(r.siteUrl)}</a></h1>
<p class="muted">Run ${esc(r.runId)} · ${esc(r.status)} · generated ${esc(r.generatedAt)}${r.webUiUrl ? ` · <a href="${esc(r.webUiUrl)}">workflow in Temporal</a>` : ''}</p>
<h2>Summary</h2>
<div class="cards">${gauge(r.healthScore)}
<div class="card"><span class="muted">Health score</span><b>${r.healthScore}</b><span class="muted">pages without critical findings</span></div>
<div class="card"><span class="muted">Pages audited</span><b>${r.pagesAudited}</b></div>
<div class="card"><span class="muted">Pages failed</span><b>${r.pagesFailed}</b></div>
<div class="card"><span class="muted">Average page score</span><b>${r.averagePageScore}</b></div>
<div class="card"><span class="muted">Duration</span><b>${formatDuration(r.durationMs)}</b></div></div>
<h2>Findings by severity</h2>${bars(sevRows, 'Findings by severity')}
${findings || '<p>No findings.</p>'}
<h2>Status codes</h2>${bars(statusRows, 'Status codes')}
<h2>Failure reasons</h2>${failRows.length ? bars(failRows, 'Failure reasons') : '<p class="muted">No page failed.</p>'}
</main></body></html>
`;
}
