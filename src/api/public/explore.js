// The run's working views: pages table, findings, page explorer, compare, history, plus the export bar. Every list is
// paginated by the API (keyset cursors); the filters and sort of a view live in the URL's hash so a view can be shared.
import { api, apiDownload, ApiError } from './api.js';
import { lineChart } from './charts.js';
import { append, clear, fmtInt, fmtTime, h, statusPill } from './dom.js';

const fill = (el, ...children) => append(clear(el), children);
const enc = encodeURIComponent;
const PAGE_SIZE = 50;

/** `#/runs/<id>/<view>?<params>` for a view of a run; empty params are left out. */
export function runHash(runId, view, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return `#/runs/${enc(runId)}${view ? `/${view}` : ''}${qs ? `?${qs}` : ''}`;
}

const TABS = [['', 'Overview'], ['pages', 'Pages'], ['findings', 'Findings'], ['compare', 'Compare'], ['history', 'History']];

/** The run's title line and the tabs between its views (the explorer has no tab: it is reached from a URL). */
export function runTabs(runId, active) {
  return h('nav', { class: 'tabs', 'aria-label': 'Run views' },
    TABS.map(([view, label]) => h('a', { href: runHash(runId, view), 'aria-current': view === active ? 'page' : undefined }, label)));
}

async function runHead(main, runId, active, signal, subtitle) {
  const title = h('h1', {}, subtitle);
  const meta = h('p', { class: 'meta' });
  main.append(h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← All runs')), h('div', { class: 'head' }, h('div', {}, title, meta)), runTabs(runId, active));
  const run = await api('GET', `/api/runs/${enc(runId)}`, undefined, { signal });
  fill(meta, h('span', {}, run.siteUrl || ''), ' · ', statusPill(run.status), ' · ', h('span', {}, `created ${fmtTime(run.createdAt)}`));
  return run;
}

const sev = (s) => h('span', { class: `sev sev-${s}` }, s);
/** Path and query of a URL (the table's column is narrow; the full URL is its tooltip and the explorer's title). */
const shortUrl = (u) => {
  try {
    const x = new URL(u);
    return `${x.pathname}${x.search}`;
  } catch {
    return u;
  }
};
const explorerLink = (runId, url, label) => h('a', { href: runHash(runId, 'page', { url }), class: 'url' }, label || url);

/** Previous / next over keyset pages: a stack of the cursors that led to each page (the first page has none). */
function pager(label, onPage) {
  const stack = [];
  let next = null;
  const info = h('span', { class: 'muted', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Previous');
  const nextBtn = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Next');
  const el = h('div', { class: 'pager', role: 'group', 'aria-label': label }, prev, info, nextBtn);
  const go = async (cursor) => {
    prev.disabled = true;
    nextBtn.disabled = true;
    const r = await onPage(cursor);
    next = r.nextCursor;
    const from = stack.length * r.pageSize + 1;
    const to = stack.length * r.pageSize + r.count;
    info.textContent = r.count ? `Rows ${fmtInt(from)}–${fmtInt(to)}${typeof r.total === 'number' ? ` of ${fmtInt(r.total)}` : ''}` : 'No rows';
    prev.disabled = stack.length === 0;
    nextBtn.disabled = !next;
  };
  prev.addEventListener('click', () => {
    stack.pop();
    void go(stack[stack.length - 1]);
  });
  nextBtn.addEventListener('click', () => {
    stack.push(next);
    void go(next);
  });
  return { el, start: () => go(undefined) };
}

// ---------------------------------------------------------------------------------------------- export bar

const EXPORTS = [['pages', 'Pages'], ['issues', 'Findings'], ['links', 'Links']];

export function exportBar(runId, ui) {
  const status = h('span', { class: 'muted', id: 'export-status', role: 'status' });
  return h('section', { class: 'card', 'aria-labelledby': 'export-title' },
    h('h2', { id: 'export-title' }, 'Export'),
    h('div', { class: 'export-bar' },
      EXPORTS.flatMap(([type, label]) => ['csv', 'json'].map((format) => ui.actionButton(`${label} ${format.toUpperCase()}`, async () => {
        status.textContent = `Preparing ${label.toLowerCase()} ${format.toUpperCase()}…`;
        const got = await apiDownload(`/api/runs/${enc(runId)}/export?type=${type}&format=${format}`, `sitesweep-${runId}-${type}.${format}`);
        status.textContent = `Downloaded ${got.name} (${fmtInt(got.size)} bytes).`;
      }, 'secondary', { 'data-export': `${type}-${format}` }))),
      // The self-contained HTML report, fetched with the token like the exports (a plain link cannot carry it).
      ui.actionButton('HTML report', async () => {
        status.textContent = 'Preparing the HTML report…';
        const got = await apiDownload(`/api/runs/${enc(runId)}/report.html`, `sitesweep-${runId}-report.html`);
        status.textContent = `Downloaded ${got.name} (${fmtInt(got.size)} bytes).`;
      }, 'secondary', { 'data-export': 'report-html' }),
      status));
}

// ---------------------------------------------------------------------------------------------- pages table

const PAGE_COLUMNS = [
  ['url', 'URL'], ['statusCode', 'Status'], ['indexable', 'Indexable'], ['title', 'Title'], ['description', 'Description'], ['h1', 'H1'],
  ['wordCount', 'Words', 'num'], ['depth', 'Depth', 'num'], ['responseTime', 'Response (ms)', 'num'], ['bytes', 'Size (bytes)', 'num'],
  ['findings', 'Findings', 'num'],
];
const FILTERS = ['q', 'status', 'statusClass', 'indexable', 'code', 'severity'];

function select(id, label, value, options) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, name: id }, options.map(([v, text]) => h('option', { value: v, selected: v === value ? true : undefined }, text))));
}

export async function renderPages(main, runId, params, signal, ui) {
  await runHead(main, runId, 'pages', signal, 'Pages');
  const sort = params.get('sort') || 'url';
  const order = params.get('order') === 'desc' ? 'desc' : 'asc';
  const state = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || '']));
  const checks = await catalogue(signal);

  const form = h('form', { class: 'card filters', role: 'search', 'aria-label': 'Filter pages' },
    h('div', { class: 'row' },
      h('div', { class: 'field grow' }, h('label', { for: 'f-q' }, 'Search URL or title'), h('input', { id: 'f-q', name: 'q', type: 'search', value: state.q, maxlength: 200 })),
      select('f-status', 'Result', state.status, [['', 'Any'], ['ok', 'Audited'], ['failed', 'Failed']]),
      select('f-statusClass', 'Status', state.statusClass, [['', 'Any'], ['2xx', '2xx'], ['3xx', '3xx'], ['4xx', '4xx'], ['5xx', '5xx'], ['none', 'No response']]),
      select('f-indexable', 'Indexable', state.indexable, [['', 'Any'], ['true', 'Indexable'], ['false', 'Not indexable']]),
      select('f-severity', 'Severity', state.severity, [['', 'Any'], ['critical', 'Critical'], ['warning', 'Warning'], ['notice', 'Notice']]),
      select('f-code', 'Finding', state.code, [['', 'Any'], ...[...checks.values()].filter((c) => c.scope === 'page').map((c) => [c.code, `${c.title} (${c.code})`])])),
    h('div', { class: 'actions gap' },
      h('a', { href: runHash(runId, 'pages'), class: 'button-link' }, 'Clear filters'),
      h('button', { type: 'submit' }, 'Apply filters')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const next = { sort, order };
    for (const k of FILTERS) next[k] = form.querySelector(`[name="${k}"], #f-${k}`).value.trim();
    location.hash = runHash(runId, 'pages', next);
  });

  const thead = h('tr', {}, PAGE_COLUMNS.map(([key, label, cls]) => {
    const active = key === sort;
    const nextOrder = active && order === 'asc' ? 'desc' : 'asc';
    return h('th', { scope: 'col', class: cls, 'aria-sort': active ? (order === 'asc' ? 'ascending' : 'descending') : undefined },
      h('a', { href: runHash(runId, 'pages', { ...state, sort: key, order: nextOrder }), class: 'sort', 'data-sort': key,
        'aria-label': `${label}: sort ${nextOrder === 'asc' ? 'ascending' : 'descending'}` }, label, active ? (order === 'asc' ? ' ▲' : ' ▼') : ''));
  }));
  const tbody = h('tbody', {});
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const p = pager('Pages of the table', async (cursor) => {
    const q = new URLSearchParams({ sort, order, limit: String(PAGE_SIZE) });
    for (const k of FILTERS) if (state[k]) q.set(k, state[k]);
    if (cursor) q.set('cursor', cursor);
    let r;
    try {
      r = await api('GET', `/api/runs/${enc(runId)}/pages?${q}`, undefined, { signal });
      error.hidden = true;
    } catch (err) {
      ui.reportError(err, error);
      return { nextCursor: null, count: 0, pageSize: PAGE_SIZE };
    }
    if (typeof r.total === 'number') p.total = r.total;
    const text = (v) => (v ? h('td', { class: 'clip', title: v }, v) : h('td', { class: 'clip muted' }, '(none)'));
    fill(tbody, r.items.length ? r.items.map((pg) => h('tr', { dataset: { url: pg.url } },
      h('td', { class: 'clip url-cell', title: pg.url }, explorerLink(runId, pg.url, shortUrl(pg.url))),
      h('td', { class: 'num' }, pg.statusCode != null ? String(pg.statusCode) : h('span', { class: 'reason' }, pg.failureReason || '–')),
      h('td', {}, pg.indexable == null ? '–' : pg.indexable ? 'yes' : 'no'),
      text(pg.title),
      text(pg.description),
      text(pg.h1),
      h('td', { class: 'num' }, fmtInt(pg.wordCount)),
      h('td', { class: 'num' }, fmtInt(pg.depth)),
      h('td', { class: 'num' }, fmtInt(pg.durationMs)),
      h('td', { class: 'num' }, fmtInt(pg.bytes)),
      h('td', { class: 'num' }, fmtInt(pg.findingCount)))) : [h('tr', {}, h('td', { colspan: PAGE_COLUMNS.length, class: 'muted' }, 'No page matches.'))]);
    return { nextCursor: r.nextCursor, count: r.items.length, pageSize: PAGE_SIZE, total: p.total };
  });
  main.append(form, error,
    h('section', { class: 'card', 'aria-labelledby': 'pages-title' },
      h('div', { class: 'section-head' }, h('h2', { id: 'pages-title' }, 'Audited pages'), p.el),
      h('div', { class: 'table-wrap' }, h('table', { id: 'pages-table', class: 'pages' }, h('thead', {}, thead), tbody))),
    exportBar(runId, ui));
  await p.start();
}

let checksCache = null;
async function catalogue(signal) {
  if (!checksCache) {
    const r = await api('GET', '/api/checks', undefined, { signal });
    checksCache = new Map(((r && r.items) || []).map((c) => [c.code, c]));
  }
  return checksCache;
}

// ---------------------------------------------------------------------------------------------- findings

const SEVERITY_ORDER = { critical: 0, warning: 1, notice: 2 };

export async function renderFindings(main, runId, params, signal, ui) {
  const code = params.get('code');
  await runHead(main, runId, 'findings', signal, code ? 'Finding' : 'Findings');
  if (code) return renderFindingPages(main, runId, code, signal, ui);
  const rep = await api('GET', `/api/runs/${enc(runId)}/report`, undefined, { signal });
  const rows = [...(rep.issues || [])].sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9) || b.count - a.count || a.code.localeCompare(b.code));
  main.append(h('section', { class: 'card', 'aria-labelledby': 'findings-title' },
    h('h2', { id: 'findings-title' }, `Findings by check (${rows.length})`),
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'findings-table' },
      h('thead', {}, h('tr', {}, ['Severity', 'Check', 'Scope', 'Why it matters / how to fix', 'Affected'].map((c, i) => h('th', { scope: 'col', class: i === 4 ? 'num' : undefined }, c)))),
      h('tbody', {}, rows.map((r) => h('tr', { dataset: { code: r.code } },
        h('td', {}, sev(r.severity)),
        h('td', {}, h('span', { class: 'issue-title' }, r.title), h('br'), h('code', {}, r.code)),
        h('td', {}, r.scope),
        h('td', {}, h('details', {}, h('summary', {}, 'Explanation and fix'), h('p', {}, h('strong', {}, 'Why: '), r.why), h('p', {}, h('strong', {}, 'Fix: '), r.fix))),
        h('td', { class: 'num' }, h('a', { href: runHash(runId, 'findings', { code: r.code }), 'aria-label': `${fmtInt(r.count)} affected by ${r.title}` }, fmtInt(r.count))))))))
      : h('p', { class: 'muted' }, 'No findings.')));
}

async function renderFindingPages(main, runId, code, signal, ui) {
  const head = h('section', { class: 'card', 'aria-labelledby': 'finding-title' }, h('h2', { id: 'finding-title' }, code));
  const tbody = h('tbody', {});
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  let shownHead = false;
  const p = pager('Pages of affected URLs', async (cursor) => {
    let r;
    try {
      r = await api('GET', `/api/runs/${enc(runId)}/report?code=${enc(code)}&limit=${PAGE_SIZE}${cursor ? `&cursor=${enc(cursor)}` : ''}`, undefined, { signal });
    } catch (err) {
      ui.reportError(err, error);
      return { nextCursor: null, count: 0, pageSize: PAGE_SIZE };
    }
    if (!shownHead) {
      shownHead = true;
      const c = r.check;
      fill(head, h('h2', { id: 'finding-title' }, sev(c.severity), ' ', c.title, ' ', h('code', {}, c.code)),
        h('p', {}, c.description), h('p', {}, h('strong', {}, 'Why it matters: '), c.why), h('p', {}, h('strong', {}, 'How to fix: '), c.fix),
        h('p', { class: 'muted' }, `${fmtInt(r.count)} affected ${c.scope === 'site' ? 'pages (site-level finding)' : 'pages'}`));
    }
    fill(tbody, r.items.map((it) => h('tr', { dataset: { url: it.url } },
      h('td', { class: 'url' }, explorerLink(runId, it.url)),
      h('td', { class: 'muted' }, it.detail || ''),
      h('td', {}, it.sources && it.sources.length
        ? [h('ul', { class: 'sources' }, it.sources.map((s) => h('li', {}, explorerLink(runId, s.from), ' → ', h('span', { class: 'url' }, s.to), s.text ? [' ', h('q', { class: 'anchor' }, s.text)] : null))),
          // The list is capped; the explorer pages through every inlink of the URL.
          h('a', { href: runHash(runId, 'page', { url: it.url }), class: 'more' }, 'All pages linking here')]
        : it.groupSize ? h('span', { class: 'muted' }, `group of ${fmtInt(it.groupSize)}`) : ''))));
    return { nextCursor: r.nextCursor, count: r.items.length, pageSize: PAGE_SIZE, total: r.count };
  });
  main.append(head, error, h('section', { class: 'card', 'aria-labelledby': 'affected-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'affected-title' }, 'Affected pages'), p.el),
    h('div', { class: 'table-wrap' }, h('table', { id: 'affected-table' },
      h('thead', {}, h('tr', {}, ['URL', 'Detail', 'Linked from (anchor text) / group'].map((c) => h('th', { scope: 'col' }, c)))), tbody))));
  await p.start();
}

// ---------------------------------------------------------------------------------------------- page explorer

function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(([, v]) => v !== undefined).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null || v === '' ? h('span', { class: 'muted' }, '–') : v)]));
}

function linksSection(runId, url, direction, total, signal, ui) {
  const id = direction === 'in' ? 'inlinks' : 'outlinks';
  const tbody = h('tbody', {});
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const p = pager(direction === 'in' ? 'Pages of inlinks' : 'Pages of outlinks', async (cursor) => {
    let r;
    try {
      r = await api('GET', `/api/runs/${enc(runId)}/links?url=${enc(url)}&direction=${direction}&limit=${PAGE_SIZE}${cursor ? `&cursor=${cursor}` : ''}`, undefined, { signal });
    } catch (err) {
      ui.reportError(err, error);
      return { nextCursor: null, count: 0, pageSize: PAGE_SIZE };
    }
    fill(tbody, r.items.length ? r.items.map((l) => h('tr', { dataset: { url: l.url || '' } },
      h('td', { class: 'url' }, l.url ? explorerLink(runId, l.url) : h('span', { class: 'muted' }, '(not audited)')),
      h('td', {}, l.anchorText || h('span', { class: 'muted' }, '(no text)')),
      h('td', {}, l.nofollow ? 'nofollow' : 'follow'),
      h('td', { class: 'num' }, l.statusCode != null ? String(l.statusCode) : '–'))) : [h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'None.'))]);
    return { nextCursor: r.nextCursor, count: r.items.length, pageSize: PAGE_SIZE, total };
  });
  const el = h('section', { class: 'card', id, 'aria-labelledby': `${id}-title` },
    h('div', { class: 'section-head' }, h('h2', { id: `${id}-title` }, `${direction === 'in' ? 'Inlinks' : 'Outlinks'} (${fmtInt(total)})`), p.el),
    error,
    h('div', { class: 'table-wrap' }, h('table', { class: 'links-table' },
      h('thead', {}, h('tr', {}, [direction === 'in' ? 'From' : 'To', 'Anchor text', 'Rel', 'Status'].map((c, i) => h('th', { scope: 'col', class: i === 3 ? 'num' : undefined }, c)))), tbody)));
  return { el, start: p.start };
}

export async function renderExplorer(main, runId, params, signal, ui) {
  const url = params.get('url') || '';
  await runHead(main, runId, 'page', signal, 'Page explorer');
  const form = h('form', { class: 'card inline-form', role: 'search', 'aria-label': 'Open a page' },
    h('label', { for: 'explore-url' }, 'Page URL'),
    h('input', { id: 'explore-url', type: 'text', inputmode: 'url', value: url, spellcheck: 'false' }),
    h('button', { type: 'submit' }, 'Open'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = runHash(runId, 'page', { url: form.querySelector('#explore-url').value.trim() });
  });
  main.append(form);
  if (!url) return;
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  main.append(error);
  let pg;
  try {
    pg = await api('GET', `/api/runs/${enc(runId)}/page?url=${enc(url)}`, undefined, { signal });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      fill(error, `This URL was not audited in this run (${err.message}). Pages linking to it are listed below.`);
      error.hidden = false;
      const inl = linksSection(runId, url, 'in', undefined, signal, ui);
      main.append(inl.el);
      await inl.start();
      return;
    }
    throw err;
  }
  const chain = pg.redirectChain || [];
  main.append(
    h('section', { class: 'card', id: 'explorer-response', 'aria-labelledby': 'resp-title' },
      h('h2', { id: 'resp-title' }, h('span', { class: 'url' }, pg.url)),
      h('div', { class: 'grid-2 tight' },
        kv([['Status', pg.statusCode != null ? String(pg.statusCode) : pg.status], ['Final URL', pg.finalUrl], ['Content type', pg.contentType],
          ['Time to first byte', pg.ttfbMs != null ? `${pg.ttfbMs} ms` : null], ['Response time', pg.durationMs != null ? `${pg.durationMs} ms` : null],
          ['Size', pg.bytes != null ? `${fmtInt(pg.bytes)} bytes` : null], ['Depth', String(pg.depth)], ['Attempts', String(pg.attempts)],
          ['Failure', pg.failureReason ? `${pg.failureReason}${pg.failureDetail ? `: ${pg.failureDetail}` : ''}` : undefined]]),
        kv([['Title', pg.title], ['Description', pg.description], ['H1', pg.h1], ['Words', pg.wordCount != null ? fmtInt(pg.wordCount) : null],
          ['Indexable', pg.indexable == null ? null : pg.indexable ? 'yes' : `no${pg.noindex ? ' (noindex)' : ''}`], ['Language', pg.lang],
          ['Canonical', pg.canonical ? (pg.canonical === pg.url ? 'self' : explorerLink(runId, pg.canonical)) : null]])),
      h('h3', {}, 'Redirect chain'),
      chain.length ? h('ol', { id: 'redirect-chain' }, chain.map((hop) => h('li', {}, h('code', {}, String(hop.status)), ' ', h('span', { class: 'url' }, hop.url))), pg.finalUrl ? h('li', {}, h('span', { class: 'url' }, pg.finalUrl)) : null)
        : h('p', { class: 'muted' }, 'No redirect.'),
      h('h3', {}, 'hreflang'),
      (pg.hreflang || []).length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Language'), h('th', { scope: 'col' }, 'URL'))),
        h('tbody', {}, pg.hreflang.map((x) => h('tr', {}, h('td', {}, x.lang), h('td', { class: 'url' }, x.href))))) : h('p', { class: 'muted' }, 'No hreflang annotations.')),
    h('section', { class: 'card', id: 'explorer-findings', 'aria-labelledby': 'pf-title' },
      h('h2', { id: 'pf-title' }, `Findings (${pg.findings.length})`),
      pg.findings.length ? h('ul', { class: 'finding-list' }, pg.findings.map((f) => h('li', { dataset: { code: f.code } },
        sev(f.severity), ' ', h('a', { href: runHash(runId, 'findings', { code: f.code }) }, f.title || f.code), ' ', h('code', {}, f.code),
        f.scope === 'site' ? h('span', { class: 'muted' }, ' (site-level)') : null,
        f.detail ? h('p', { class: 'muted' }, f.detail) : null,
        f.sources && f.sources.length ? h('p', { class: 'muted' }, 'Linked from: ', f.sources.map((s, i) => [i ? ', ' : '', explorerLink(runId, s.from), s.text ? [' ', h('q', {}, s.text)] : null])) : null,
        f.fix ? h('details', {}, h('summary', {}, 'How to fix'), h('p', {}, f.why), h('p', {}, f.fix)) : null)))
        : h('p', { class: 'muted' }, 'No finding on this page.')),
  );
  if (pg.suggestion) {
    const s = pg.suggestion.suggestion;
    main.append(h('section', { class: 'card', id: 'explorer-ai', 'aria-labelledby': 'pai-title' },
      h('h2', { id: 'pai-title' }, 'AI suggestion'),
      h('p', { class: 'muted' }, `${pg.suggestion.model} · ${pg.suggestion.status}`),
      s ? [h('p', {}, h('strong', {}, 'Title: '), s.suggestedTitle), h('p', {}, h('strong', {}, 'Description: '), s.suggestedDescription),
        h('ol', {}, (s.fixes || []).map((f) => h('li', {}, h('code', {}, f.code), ' ', f.fix)))]
        : h('p', { class: 'muted' }, pg.suggestion.error || 'No suggestion yet.')));
  }
  const inl = linksSection(runId, pg.url, 'in', pg.inlinks, signal, ui);
  const outl = linksSection(runId, pg.url, 'out', pg.outlinks, signal, ui);
  main.append(inl.el, outl.el);
  await Promise.all([inl.start(), outl.start()]);
}

// ---------------------------------------------------------------------------------------------- compare

const COMPARE_LIMIT = 500;

export async function renderCompare(main, runId, params, signal) {
  const run = await runHead(main, runId, 'compare', signal, 'Compare runs');
  const withId = params.get('with') || 'previous';
  const runs = await api('GET', `/api/runs?site=${enc(run.siteHost)}&status=completed&limit=50`, undefined, { signal });
  const others = (runs.items || []).filter((r) => r.runId !== run.runId);
  const form = h('form', { class: 'card inline-form', 'aria-label': 'Choose the run to compare with' },
    h('label', { for: 'compare-with' }, 'Compare this run with'),
    h('select', { id: 'compare-with' },
      h('option', { value: 'previous', selected: withId === 'previous' ? true : undefined }, 'The previous completed run'),
      others.map((r) => h('option', { value: r.runId, selected: withId === r.runId ? true : undefined }, `${fmtTime(r.createdAt)} · ${fmtInt(r.counters.audited)} pages · ${r.runId.slice(0, 8)}`))),
    h('button', { type: 'submit' }, 'Compare'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = runHash(runId, 'compare', { with: form.querySelector('#compare-with').value });
  });
  main.append(form);
  let c;
  try {
    c = await api('GET', `/api/runs/${enc(runId)}/compare?with=${enc(withId)}&limit=${COMPARE_LIMIT}`, undefined, { signal });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      main.append(h('p', { class: 'card muted', id: 'compare-none' }, err.message));
      return;
    }
    throw err;
  }
  const findingList = (id, title, items, count) => h('section', { class: 'card', id, 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, `${title} (${fmtInt(count)})`),
    items.length ? h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Severity', 'Check', 'Page'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, items.map((f) => h('tr', { dataset: { code: f.code, url: f.url } }, h('td', {}, sev(f.severity)), h('td', {}, h('code', {}, f.code)), h('td', { class: 'url' }, f.url))))))
      : h('p', { class: 'muted' }, 'None.'),
    count > items.length ? h('p', { class: 'muted' }, `The first ${fmtInt(items.length)} are shown; the export lists them all.`) : null);
  const pageList = (id, title, items, count) => h('section', { class: 'card', id, 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, `${title} (${fmtInt(count)})`),
    items.length ? h('ul', { class: 'plain' }, items.map((u) => h('li', { class: 'url' }, u))) : h('p', { class: 'muted' }, 'None.'));
  main.append(
    h('p', { class: 'card', id: 'compare-summary' }, 'Against run ', h('a', { href: runHash(c.withRunId) }, h('code', {}, c.withRunId)), `: ${fmtInt(c.counts.new)} new, ${fmtInt(c.counts.fixed)} fixed, ${fmtInt(c.counts.persisting)} persisting findings; ${fmtInt(c.counts.pagesAdded)} pages added, ${fmtInt(c.counts.pagesRemoved)} removed.`),
    h('div', { class: 'grid-2' }, findingList('compare-new', 'New findings', c.newFindings, c.counts.new), findingList('compare-fixed', 'Fixed findings', c.fixedFindings, c.counts.fixed)),
    h('div', { class: 'grid-2' }, pageList('compare-added', 'Pages added', c.pagesAdded, c.counts.pagesAdded), pageList('compare-removed', 'Pages removed', c.pagesRemoved, c.counts.pagesRemoved)),
    h('details', { class: 'card' }, h('summary', {}, `Persisting findings (${fmtInt(c.counts.persisting)})`), findingList('compare-persisting', 'Persisting findings', c.persistingFindings, c.counts.persisting)));
}

// ---------------------------------------------------------------------------------------------- history

export async function renderHistory(main, runId, params, signal) {
  await runHead(main, runId, 'history', signal, 'Runs over time');
  const r = await api('GET', `/api/runs/${enc(runId)}/history?limit=30`, undefined, { signal });
  const labels = r.items.map((x) => new Date(x.createdAt).toLocaleDateString('en-GB', { day: '2-digit', month: 'short' }) + ` #${x.runId.slice(0, 4)}`);
  main.append(
    h('section', { class: 'card', 'aria-labelledby': 'hist-title' },
      h('h2', { id: 'hist-title' }, `Health score and findings of ${r.siteHost}`),
      h('p', { class: 'legend' }, h('span', { class: 'key key-health' }, 'Health score (0–100)'), h('span', { class: 'key key-critical' }, 'Critical findings'), h('span', { class: 'key key-warning' }, 'Warnings')),
      lineChart({
        title: `Runs of ${r.siteHost}`,
        labels,
        series: [
          { name: 'Health score', values: r.items.map((x) => x.healthScore), color: 'var(--ok)', max: 100 },
          { name: 'Critical findings', values: r.items.map((x) => x.findings.critical), color: 'var(--bad)', dash: '5 3', unit: 'findings', max: Math.max(1, ...r.items.map((x) => Math.max(x.findings.critical, x.findings.warning))) },
          { name: 'Warnings', values: r.items.map((x) => x.findings.warning), color: 'var(--warn)', dash: '2 3', unit: 'findings', max: Math.max(1, ...r.items.map((x) => Math.max(x.findings.critical, x.findings.warning))) },
        ],
      })),
    h('section', { class: 'card', 'aria-labelledby': 'hist-table-title' },
      h('h2', { id: 'hist-table-title' }, 'Completed runs'),
      h('div', { class: 'table-wrap' }, h('table', { id: 'history-table' },
        h('thead', {}, h('tr', {}, ['Run', 'Finished', 'Pages', 'Health', 'Critical', 'Warnings', 'Notices', ''].map((c, i) => h('th', { scope: 'col', class: i >= 2 && i <= 6 ? 'num' : undefined }, c)))),
        h('tbody', {}, [...r.items].reverse().map((x) => h('tr', { dataset: { run: x.runId } },
          h('td', {}, h('a', { href: runHash(x.runId) }, h('code', {}, x.runId.slice(0, 8))), x.runId === runId ? ' (this run)' : ''),
          h('td', {}, fmtTime(x.finishedAt)),
          h('td', { class: 'num' }, fmtInt(x.pagesAudited)),
          h('td', { class: 'num' }, String(x.healthScore)),
          h('td', { class: 'num' }, fmtInt(x.findings.critical)),
          h('td', { class: 'num' }, fmtInt(x.findings.warning)),
          h('td', { class: 'num' }, fmtInt(x.findings.notice)),
          h('td', {}, x.runId !== runId ? h('a', { href: runHash(runId, 'compare', { with: x.runId }) }, 'Compare') : ''))))))));
}
