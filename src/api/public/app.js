// Sitesweep dashboard: a hash-routed single page on plain ES modules. Views poll the API at most once per second
// and stop when what they watch has finished; leaving a view aborts its requests and timers.
import { api, ApiError, getToken, setToken } from './api.js';
import { barChart, ring } from './charts.js';
import { append, clear, fmtDuration, fmtInt, fmtPercent, fmtTime, h, statusPill } from './dom.js';
import { exportBar, renderCompare, renderExplorer, renderFindings, renderHistory, renderPages, runTabs } from './explore.js';

/** Replaces el's children; null/false entries are skipped and arrays flattened (unlike Element.append). */
const fill = (el, ...children) => append(clear(el), children);

const main = document.getElementById('main');
const messages = document.getElementById('messages');
const tokenPanel = document.getElementById('token-panel');
const tokenForm = document.getElementById('token-form');
const tokenInput = document.getElementById('token-input');

const LIVE_RUN = new Set(['queued', 'running', 'pending', 'cancelling']);
const LIVE_BATCH = new Set(['queued', 'pending', 'running', 'processing', 'started', 'cancelling']);
const SEVERITY_ORDER = { critical: 0, warning: 1, notice: 2 };
const POLL_MS = 1000;

let current = null; // AbortController of the view on screen

// ---------------------------------------------------------------------------------------------- messages & token

function showMessage(text, kind = 'error') {
  clear(messages);
  const box = h('div', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', {}, text),
    h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss message', onclick: () => clear(messages) }, '×'));
  messages.append(box);
}

function isAbort(err) {
  return err && err.name === 'AbortError';
}

/** Shows an API refusal: a 401 opens the token field; anything else shows error.message where the user acted. */
function reportError(err, where) {
  if (isAbort(err)) return;
  if (err instanceof ApiError && err.status === 401) {
    tokenPanel.hidden = false;
    if (getToken()) {
      tokenInput.setAttribute('aria-invalid', 'true');
    }
    tokenInput.focus();
  }
  const text = err instanceof ApiError ? err.message : String((err && err.message) || err);
  if (where) {
    clear(where);
    where.append(h('strong', {}, err instanceof ApiError && err.status ? `${err.status} ${err.code}: ` : 'Error: '), text);
    where.hidden = false;
  } else {
    showMessage(err instanceof ApiError && err.status ? `${err.status} ${err.code}: ${text}` : text);
  }
}

tokenForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const t = tokenInput.value.trim();
  if (!t) return;
  setToken(t);
  tokenInput.value = '';
  tokenInput.removeAttribute('aria-invalid');
  tokenPanel.hidden = true;
  clear(messages);
  showMessage('Token saved for this tab.', 'info');
  route();
});

// ---------------------------------------------------------------------------------------------- polling & routing

/** Calls fn now and then every `ms` (never overlapping) until it returns true or the view is left. */
function poll(signal, fn, ms = POLL_MS) {
  let failures = 0;
  const tick = async () => {
    if (signal.aborted) return;
    const started = Date.now();
    let done = false;
    try {
      done = await fn();
      failures = 0;
    } catch (err) {
      if (signal.aborted || isAbort(err)) return;
      reportError(err);
      if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return;
      failures++;
    }
    if (done || signal.aborted) return;
    const wait = Math.max(ms * Math.min(2 ** failures, 10) - (Date.now() - started), 0);
    const timer = setTimeout(tick, Math.max(wait, failures ? ms : 0));
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  };
  void tick();
}

const RUN_VIEWS = { pages: renderPages, findings: renderFindings, page: renderExplorer, compare: renderCompare, history: renderHistory };

function route() {
  if (current) current.abort();
  current = new AbortController();
  const signal = current.signal;
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  clear(main);
  const view = RUN_VIEWS[parts[2]];
  if (parts[0] === 'runs' && parts[1] && view) {
    // A view of a run: its errors (a 404, an API refusal) show in the message area.
    view(main, parts[1], params, signal, UI).catch((err) => reportError(err));
  } else if (parts[0] === 'runs' && parts[1]) renderRun(parts[1], signal);
  else if (parts[0] === 'batches' && parts[1]) renderBatch(parts[1], signal);
  else renderHome(signal);
}

window.addEventListener('hashchange', () => {
  clear(messages);
  route();
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
});

// ---------------------------------------------------------------------------------------------- home: forms + lists

function numberField(id, label, value, hint, attrs = {}) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, name: id, type: 'number', inputmode: 'numeric', value, 'aria-describedby': hint ? `${id}-hint` : undefined, ...attrs }),
    hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null);
}

function optionsFieldset(prefix) {
  return h('fieldset', { class: 'options' },
    h('legend', {}, 'Options'),
    h('div', { class: 'row' },
      numberField(`${prefix}-max-pages`, 'Max pages', '100', 'per site', { min: 1 }),
      numberField(`${prefix}-max-depth`, 'Max depth', '5', 'links from the start page', { min: 0 })),
    h('div', { class: 'check' },
      h('input', { id: `${prefix}-robots`, type: 'checkbox', checked: true }),
      h('label', { for: `${prefix}-robots` }, 'Respect robots.txt')),
    h('details', {},
      h('summary', {}, 'Advanced'),
      h('div', { class: 'row' },
        numberField(`${prefix}-timeout`, 'Request timeout (ms)', '15000', null, { min: 100, step: 100 }))));
}

/** Form values as the API expects them; a non-numeric entry is passed through so the API names the field. */
function readOptions(form, prefix) {
  const num = (name) => {
    const raw = form.querySelector(`#${prefix}-${name}`).value.trim();
    if (raw === '') return undefined;
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw;
  };
  const options = {
    maxPages: num('max-pages'),
    maxDepth: num('max-depth'),
    respectRobots: form.querySelector(`#${prefix}-robots`).checked,
    requestTimeoutMs: num('timeout'),
  };
  for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
  return options;
}

function runForm() {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true, id: 'run-error' });
  const button = h('button', { type: 'submit' }, 'Start run');
  const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'run-form-title' },
    h('h2', { id: 'run-form-title' }, 'Audit one site'),
    h('div', { class: 'field' },
      h('label', { for: 'run-url' }, 'Site URL'),
      h('input', { id: 'run-url', name: 'url', type: 'text', inputmode: 'url', placeholder: 'https://example.com', autocomplete: 'url', spellcheck: 'false' })),
    optionsFieldset('run'),
    error,
    h('div', { class: 'actions' }, button));
  form.addEventListener('submit', submitting(error, button, async () => {
    const started = await api('POST', '/api/runs', { url: form.querySelector('#run-url').value.trim(), options: readOptions(form, 'run') });
    location.hash = `#/runs/${encodeURIComponent(started.runId)}`;
  }));
  return form;
}

/** A form's submit handler: the button disabled while `send` runs, and its error shown in the form's alert. */
function submitting(error, button, send) {
  return async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      await send();
    } catch (err) {
      reportError(err, error);
    } finally {
      button.disabled = false;
    }
  };
}

function batchForm() {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true, id: 'batch-error' });
  const button = h('button', { type: 'submit' }, 'Start batch');
  const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'batch-form-title' },
    h('h2', { id: 'batch-form-title' }, 'Audit a batch of domains'),
    h('div', { class: 'field' },
      h('label', { for: 'batch-domains' }, 'Domains, one per line'),
      h('textarea', { id: 'batch-domains', name: 'domains', rows: 5, placeholder: 'example.com\nhttps://shop.example.org', spellcheck: 'false', 'aria-describedby': 'batch-domains-hint' }),
      h('small', { id: 'batch-domains-hint', class: 'hint' }, 'A host name or a URL per line; blank lines are ignored.')),
    h('div', { class: 'row' }, numberField('batch-concurrency', 'Max concurrent sites', '3', 'sites audited at once', { min: 1 })),
    optionsFieldset('batch'),
    error,
    h('div', { class: 'actions' }, button));
  form.addEventListener('submit', submitting(error, button, async () => {
    const domains = form.querySelector('#batch-domains').value.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    const rawConc = form.querySelector('#batch-concurrency').value.trim();
    const body = { domains, options: readOptions(form, 'batch') };
    if (rawConc !== '') body.maxConcurrentSites = Number.isFinite(Number(rawConc)) ? Number(rawConc) : rawConc;
    const started = await api('POST', '/api/batches', body);
    if (started.webUiUrl) sessionStorage.setItem(`sitesweep.batchUi.${started.batchId}`, started.webUiUrl);
    location.hash = `#/batches/${encodeURIComponent(started.batchId)}`;
  }));
  return form;
}

function temporalLink(url, label = 'Temporal') {
  return url ? h('a', { href: url, target: '_blank', rel: 'noopener', class: 'ext' }, label) : null;
}

function renderHome(signal) {
  const runsBody = h('tbody', {});
  const batchesBody = h('tbody', {});
  const batchesNote = h('p', { class: 'muted', hidden: true });
  main.append(
    h('h1', { class: 'visually-hidden' }, 'Sitesweep dashboard'),
    h('div', { class: 'grid-2' }, runForm(), batchForm()),
    h('section', { class: 'card', 'aria-labelledby': 'recent-batches' },
      h('h2', { id: 'recent-batches' }, 'Recent batches'),
      batchesNote,
      h('div', { class: 'table-wrap' },
        h('table', { id: 'batches-table' },
          h('thead', {}, h('tr', {}, ['Batch', 'Status', 'Domains', 'Completed', 'Failed', 'Created', ''].map((c) => h('th', { scope: 'col' }, c)))),
          batchesBody))),
    h('section', { class: 'card', 'aria-labelledby': 'recent-runs' },
      h('h2', { id: 'recent-runs' }, 'Recent runs'),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'runs-table' },
          h('thead', {}, h('tr', {}, ['Site', 'Status', 'Stage', 'Audited', 'Failed', 'Created', ''].map((c) => h('th', { scope: 'col' }, c)))),
          runsBody))),
  );

  let batchesAvailable = true;
  poll(signal, async () => {
    const runs = await api('GET', '/api/runs?limit=20', undefined, { signal });
    const runItems = (runs && runs.items) || [];
    fill(runsBody, ...(runItems.length ? runItems.map((r) => h('tr', {},
      h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(r.runId)}` }, r.siteUrl)),
      h('td', {}, statusPill(r.status)),
      h('td', {}, r.stage || ''),
      h('td', { class: 'num' }, fmtInt(r.counters && r.counters.audited)),
      h('td', { class: 'num' }, fmtInt(r.counters && r.counters.failed)),
      h('td', {}, fmtTime(r.createdAt)),
      h('td', {}, temporalLink(r.webUiUrl)))) : [h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No runs yet.'))]));

    let batchItems = [];
    if (batchesAvailable) {
      try {
        const batches = await api('GET', '/api/batches?limit=20', undefined, { signal });
        batchItems = Array.isArray(batches) ? batches : (batches && batches.items) || [];
        fill(batchesBody, ...(batchItems.length ? batchItems.map((b) => h('tr', {},
          h('td', {}, h('a', { href: `#/batches/${encodeURIComponent(b.batchId)}` }, shortId(b.batchId))),
          h('td', {}, statusPill(b.status)),
          h('td', { class: 'num' }, fmtInt(b.totalDomains)),
          h('td', { class: 'num' }, fmtInt(b.completedDomains)),
          h('td', { class: 'num' }, fmtInt(b.failedDomains)),
          h('td', {}, fmtTime(b.createdAt)),
          h('td', {}, temporalLink(b.webUiUrl)))) : [h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No batches yet.'))]));
      } catch (err) {
        if (!(err instanceof ApiError) || err.status === 401) throw err;
        batchesAvailable = false;
        batchesNote.textContent = `Batches are not available from this API (${err.message}).`;
        batchesNote.hidden = false;
        batchesBody.closest('.table-wrap').hidden = true;
      }
    }
    // The lists refresh while something in them is still running.
    return !runItems.some((r) => LIVE_RUN.has(r.status)) && !batchItems.some((b) => LIVE_BATCH.has(b.status));
  }, 3000);
}

function shortId(id) {
  const s = String(id || '');
  return s.length > 18 ? `${s.slice(0, 8)}…${s.slice(-6)}` : s;
}

// ---------------------------------------------------------------------------------------------- a run

function progressBar(id, label) {
  const fillEl = h('div', { class: 'bar-fill' });
  const bar = h('div', { class: 'bar', id, role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0 }, fillEl);
  return {
    el: bar,
    set(percent, done) {
      const p = Math.max(0, Math.min(100, Math.round(Number(percent) || 0)));
      bar.setAttribute('aria-valuenow', String(p));
      bar.setAttribute('aria-valuetext', `${p}%`);
      fillEl.style.width = `${p}%`;
      bar.classList.toggle('done', !!done);
      // Animate changes after the first value (a finished run opens full, not filling up).
      requestAnimationFrame(() => bar.classList.add('animate'));
    },
  };
}

function stat(id, label, value = '–') {
  const dd = h('dd', { id }, value);
  return { el: h('div', { class: 'stat' }, h('dt', {}, label), dd), dd };
}

function renderRun(runId, signal) {
  const title = h('h1', {}, 'Run');
  const pill = h('span', {});
  const meta = h('p', { class: 'meta' });
  const links = h('div', { class: 'links' });
  const bar = progressBar('run-progress', 'Run progress');
  const live = h('p', { id: 'run-live', class: 'live', 'aria-live': 'polite' }, 'Loading…');
  const stats = {
    stage: stat('run-stage', 'Stage'),
    discovered: stat('run-discovered', 'Discovered'),
    audited: stat('run-audited', 'Audited'),
    failed: stat('run-failed', 'Failed'),
    rate: stat('run-rate', 'Pages / min'),
    elapsed: stat('run-elapsed', 'Elapsed'),
    eta: stat('run-eta', 'ETA'),
  };
  const note = h('p', { class: 'note', hidden: true, id: 'run-note' });
  const progressCard = h('section', { class: 'card', 'aria-labelledby': 'progress-title' },
    h('h2', { id: 'progress-title' }, 'Progress'), bar.el, live, note,
    h('dl', { class: 'stats' }, Object.values(stats).map((x) => x.el)));
  const report = h('div', { id: 'report' });
  main.append(h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← All runs')), h('div', { class: 'head' }, h('div', {}, title, meta), h('div', { class: 'head-side' }, pill, links)),
    runTabs(runId, ''), progressCard, report, exportBar(runId, UI));

  let lastKey = '';
  poll(signal, async () => {
    const run = await api('GET', `/api/runs/${encodeURIComponent(runId)}`, undefined, { signal });
    title.textContent = run.siteUrl;
    fill(pill, statusPill(run.status));
    fill(meta,
      h('span', {}, 'Run ', h('code', {}, run.runId)), ' · ',
      h('span', {}, 'workflow ', h('code', {}, run.workflowId)), ' · ',
      h('span', {}, `created ${fmtTime(run.createdAt)}`),
      run.batchId ? [' · ', h('a', { href: `#/batches/${encodeURIComponent(run.batchId)}` }, 'part of a batch')] : null);
    const isLive = LIVE_RUN.has(run.status);
    const paused = !!(run.progress && run.progress.paused);
    const linkKey = `${run.status}|${paused}|${run.webUiUrl}`;
    if (linkKey !== lastKey) {
      lastKey = linkKey;
      fill(links,
        temporalLink(run.webUiUrl, 'Open in Temporal Web UI'),
        ' ',
        h('a', { href: `/api/runs/${encodeURIComponent(run.runId)}/report.html`, target: '_blank', rel: 'noopener', class: 'ext', 'data-testid': 'html-report' }, 'HTML report'),
        isLive && run.status === 'running' ? (paused
          ? actionButton('Resume run', async () => {
            await api('POST', `/api/runs/${encodeURIComponent(run.runId)}/resume`);
            showMessage('Resume requested.', 'info');
          }, '', { id: 'run-resume' })
          : actionButton('Pause run', async () => {
            await api('POST', `/api/runs/${encodeURIComponent(run.runId)}/pause`);
            showMessage('Pause requested: batches in flight finish first.', 'info');
          }, 'secondary', { id: 'run-pause' })) : null,
        isLive ? actionButton('Cancel run', async () => {
          await api('POST', `/api/runs/${encodeURIComponent(run.runId)}/cancel`);
          showMessage('Cancellation requested.', 'info');
        }, 'danger') : null,
        !isLive ? actionButton(run.status === 'completed' ? 'Run again' : 'Retry run', async () => {
          const again = await api('POST', `/api/runs/${encodeURIComponent(run.runId)}/retry`);
          location.hash = `#/runs/${encodeURIComponent(again.runId)}`;
        }) : null);
    }
    const p = run.progress;
    const c = run.counters || {};
    // A finished run without live progress (failed, cancelled) shows how much of what it found it got through.
    const processed = (c.audited || 0) + (c.failed || 0);
    const percent = run.status === 'completed' ? 100 : p ? p.percent : c.discovered ? Math.min(100, Math.round((processed / c.discovered) * 100)) : 0;
    bar.set(percent, !isLive);
    const stage = run.stage || (p && p.stage) || run.status;
    stats.stage.dd.textContent = cap(String(stage).replace(/_/g, ' '));
    stats.discovered.dd.textContent = fmtInt(c.discovered);
    stats.audited.dd.textContent = fmtInt(c.audited);
    stats.failed.dd.textContent = fmtInt(c.failed);
    const elapsedMs = p ? p.elapsedMs : run.startedAt && run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : null;
    const done = (c.audited || 0) + (c.failed || 0);
    stats.rate.dd.textContent = p ? fmtInt(Math.round(p.pagesPerMinute)) : elapsedMs > 0 && done > 0 ? fmtInt(Math.round((done / elapsedMs) * 60_000)) : '–';
    stats.elapsed.dd.textContent = elapsedMs != null ? fmtDuration(elapsedMs) : '–';
    stats.eta.dd.textContent = p && p.etaMs != null && isLive ? fmtDuration(p.etaMs) : '–';
    note.hidden = !(run.waitingForWorker || (p && p.paused) || run.error);
    note.textContent = run.waitingForWorker
      ? 'Waiting for a worker: no worker is polling the task queue. The run starts as soon as one connects.'
      : p && p.paused ? 'Paused.' : run.error ? `Error: ${run.error}` : '';
    note.className = run.error ? 'note note-bad' : 'note';
    const sentence = isLive
      ? `${cap(String(stage).replace(/_/g, ' '))}: ${fmtInt(c.audited)} audited, ${fmtInt(c.failed)} failed of ${fmtInt(c.discovered)} discovered (${Math.round(percent)}%).`
      : `Run ${run.status}: ${fmtInt(c.audited)} pages audited, ${fmtInt(c.failed)} failed.`;
    if (live.textContent !== sentence) live.textContent = sentence;
    if (isLive) return false;
    await renderReport(run, report, signal);
    return true;
  });
}

function cap(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function actionButton(label, fn, kind = '', attrs = {}) {
  const b = h('button', { type: 'button', class: kind, ...attrs });
  b.textContent = label;
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await fn();
    } catch (err) {
      reportError(err);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

/** What the run views of explore.js use from this module. */
const UI = { reportError, showMessage, actionButton };

let checksCache = null;
async function catalogue(signal) {
  if (!checksCache) {
    try {
      const r = await api('GET', '/api/checks', undefined, { signal });
      checksCache = new Map(((r && r.items) || []).map((c) => [c.code, c]));
    } catch (err) {
      if (isAbort(err)) throw err;
      return new Map();
    }
  }
  return checksCache;
}

/** Issues as rows, from the report's own list when it has one, else from summary.issuesByCode + the catalogue. */
async function issueRows(rep, signal) {
  const summary = rep.summary || {};
  const checks = await catalogue(signal);
  let rows = Array.isArray(rep.issues) ? rep.issues : Array.isArray(rep.findings) ? rep.findings : null;
  if (!rows) rows = Object.entries(summary.issuesByCode || {}).map(([code, count]) => ({ code, count }));
  return rows.map((i) => {
    const c = checks.get(i.code) || {};
    return {
      code: i.code,
      count: i.count != null ? i.count : (i.pages ? i.pages.length : (summary.issuesByCode || {})[i.code]),
      severity: i.severity || c.severity || 'notice',
      category: i.category || c.category || '',
      scope: i.scope || c.scope || 'page',
      title: i.title || c.title || i.code,
      why: i.explanation || i.why || c.why || '',
      fix: i.fix || c.fix || '',
      pages: Array.isArray(i.pages) ? i.pages : Array.isArray(i.affectedPages) ? i.affectedPages : null,
      affectedPagesUrl: typeof i.affectedPagesUrl === 'string' && i.affectedPagesUrl.startsWith('/api/') ? i.affectedPagesUrl : null,
    };
  }).sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9) || b.count - a.count || a.code.localeCompare(b.code));
}

function statusColor(d) {
  const k = String(d.label)[0];
  return k === '2' ? 'var(--ok)' : k === '3' ? 'var(--info)' : k === '4' ? 'var(--warn)' : k === '5' ? 'var(--bad)' : 'var(--muted)';
}

async function renderReport(run, container, signal) {
  const rep = await api('GET', `/api/runs/${encodeURIComponent(run.runId)}/report`, undefined, { signal });
  const summary = rep.summary || null;
  clear(container);
  if (!summary) {
    container.append(h('section', { class: 'card' }, h('h2', {}, 'Report'), h('p', { class: 'muted' }, run.status === 'completed' ? 'No summary was recorded for this run.' : `The run ${run.status} before it produced a summary.`)));
    return;
  }
  const rate = typeof summary.successRate === 'number' ? summary.successRate
    : summary.pagesAudited + summary.pagesFailed > 0 ? summary.pagesAudited / (summary.pagesAudited + summary.pagesFailed) : 0;
  const cards = h('div', { class: 'summary', id: 'report-summary' },
    h('div', { class: 'card metric' }, h('span', { class: 'metric-label' }, 'Pages audited'), h('span', { class: 'metric-value', id: 'sum-audited' }, fmtInt(summary.pagesAudited))),
    h('div', { class: 'card metric' }, h('span', { class: 'metric-label' }, 'Pages failed'), h('span', { class: `metric-value${summary.pagesFailed ? ' bad' : ''}`, id: 'sum-failed' }, fmtInt(summary.pagesFailed))),
    h('div', { class: 'card metric metric-ring' }, ring(rate, `Success rate ${fmtPercent(rate)}`),
      h('div', {}, h('span', { class: 'metric-label' }, 'Success rate'), h('span', { class: 'metric-value', id: 'sum-rate' }, fmtPercent(rate)))),
    h('div', { class: 'card metric' }, h('span', { class: 'metric-label' }, 'Duration'), h('span', { class: 'metric-value', id: 'sum-duration' }, fmtDuration(summary.durationMs))),
    typeof rep.healthScore === 'number'
      ? h('div', { class: 'card metric', title: (rep.scoring && rep.scoring.health) || undefined }, h('span', { class: 'metric-label' }, 'Health score'),
        h('span', { class: `metric-value ${rep.healthScore >= 80 ? 'good' : rep.healthScore >= 50 ? 'meh' : 'bad'}`, id: 'sum-health' }, `${Math.round(rep.healthScore)}`, h('small', {}, ' / 100')))
      : null);

  const statusData = Object.entries(summary.statusCodes || {}).map(([label, value]) => ({ label, value: Number(value) })).sort((a, b) => a.label.localeCompare(b.label));
  const failData = (summary.topFailReasons || []).map((r) => ({ label: String(r.reason).replace(/_/g, ' '), value: Number(r.count) }));
  const charts = h('div', { class: 'grid-2' },
    h('section', { class: 'card', 'aria-labelledby': 'chart-status' }, h('h2', { id: 'chart-status' }, 'HTTP status codes'),
      barChart({ title: 'HTTP status codes', data: statusData, colorFor: statusColor, emptyText: 'No responses recorded' })),
    h('section', { class: 'card', 'aria-labelledby': 'chart-fail' }, h('h2', { id: 'chart-fail' }, 'Failure reasons'),
      barChart({ title: 'Failure reasons', data: failData, color: 'var(--bad)', emptyText: 'No page failed' })));

  const rows = await issueRows(rep, signal);
  const siteIssues = Array.isArray(summary.siteIssues) ? summary.siteIssues : [];
  const tbody = h('tbody', {});
  for (const row of rows) {
    const detailId = `issue-${row.code}`;
    const detail = h('tr', { class: 'issue-detail', id: detailId, hidden: true }, h('td', { colspan: 5 }));
    const toggle = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-controls': detailId, dataset: { code: row.code } }, `${fmtInt(row.count)} ${row.count === 1 ? 'page' : 'pages'}`);
    toggle.addEventListener('click', async () => {
      const open = toggle.getAttribute('aria-expanded') === 'true';
      toggle.setAttribute('aria-expanded', String(!open));
      detail.hidden = open;
      if (!open && !detail.dataset.loaded) {
        detail.dataset.loaded = '1';
        await fillIssueDetail(run.runId, row, siteIssues, detail.firstChild, signal);
      }
    });
    tbody.append(
      h('tr', { class: 'issue', dataset: { code: row.code } },
        h('td', {}, h('span', { class: `sev sev-${row.severity}` }, row.severity)),
        h('td', {}, h('span', { class: 'issue-title' }, row.title), h('br'), h('code', {}, row.code)),
        h('td', {}, String(row.category).replace(/_/g, ' ')),
        h('td', {}, row.scope === 'site' ? 'site' : 'page'),
        h('td', { class: 'num' }, toggle)),
      detail);
  }
  const issues = h('section', { class: 'card', 'aria-labelledby': 'issues-title' },
    h('div', { class: 'section-head' },
      h('h2', { id: 'issues-title' }, `Issues by check (${rows.length})`),
      h('p', { class: 'chips' }, ['critical', 'warning', 'notice'].map((sev) => {
        const n = rep.bySeverity && typeof rep.bySeverity[sev] === 'number' ? rep.bySeverity[sev] : rows.filter((r) => r.severity === sev).reduce((a, r) => a + (r.count || 0), 0);
        return h('span', { class: `sev sev-${sev}` }, `${fmtInt(n)} ${sev}`);
      }))),
    rows.length
      ? h('div', { class: 'table-wrap' }, h('table', { id: 'issues-table' },
        h('thead', {}, h('tr', {}, ['Severity', 'Check', 'Category', 'Scope', 'Affected'].map((c, i) => h('th', { scope: 'col', class: i === 4 ? 'num' : undefined }, c)))),
        tbody))
      : h('p', { class: 'muted' }, 'No issues found.'));

  const failedSection = h('section', { class: 'card', 'aria-labelledby': 'failed-title' }, h('h2', { id: 'failed-title' }, 'Failed pages'));
  const aiSection = h('section', { class: 'card', id: 'ai-suggestions', 'aria-labelledby': 'ai-title', hidden: true });
  container.append(cards, charts, issues, aiSection, failedSection);
  if (run.recommendations) await fillSuggestions(run.runId, aiSection, signal);
  if (summary.pagesFailed > 0) {
    try {
      const failed = await api('GET', `/api/runs/${encodeURIComponent(run.runId)}/pages?status=failed&limit=100`, undefined, { signal });
      failedSection.append(pagesTable(failed.items || [], true));
      if (failed.nextCursor) failedSection.append(h('p', {}, h('a', { href: `#/runs/${encodeURIComponent(run.runId)}/pages?status=failed` }, `All ${fmtInt(failed.total)} failed pages`)));
    } catch (err) {
      if (isAbort(err)) throw err;
      failedSection.append(h('p', { class: 'form-error' }, err.message));
    }
  } else {
    failedSection.append(h('p', { class: 'muted' }, 'Every page was fetched and audited.'));
  }
}

const AI_LIVE = new Set(['collecting', 'submitting', 'processing']);

/**
 * The run's latest AI recommendations job (called when the run view names one, so a run without a job asks nothing):
 * each page's findings beside its suggested title, description and prioritised fixes (or the reason it has none).
 */
async function fillSuggestions(runId, section, signal) {
  let job;
  try {
    job = await api('GET', `/api/runs/${encodeURIComponent(runId)}/recommendations?limit=500`, undefined, { signal });
  } catch (err) {
    if (isAbort(err)) throw err;
    if (err instanceof ApiError && err.status === 404) return;
    section.hidden = false;
    fill(section, h('h2', { id: 'ai-title' }, 'AI suggestions'), h('p', { class: 'form-error' }, err.message));
    return;
  }
  const c = job.counts || {};
  const head = h('div', { class: 'section-head' },
    h('h2', { id: 'ai-title' }, 'AI suggestions'),
    h('p', { class: 'muted', id: 'ai-job' }, `${job.model} · ${job.status}`, AI_LIVE.has(job.status) ? ' (the provider batch is still running)' : '',
      ` · ${fmtInt(c.succeeded || 0)} of ${fmtInt(c.total || 0)} pages answered`));
  const items = job.items || [];
  const rows = items.map((it) => {
    const s = it.suggestion;
    const findings = h('ul', { class: 'findings' }, (it.findings || []).map((f) => h('li', {}, h('span', { class: `sev sev-${f.severity}` }, f.severity), ' ', h('code', {}, f.code))));
    const suggestion = s
      ? h('div', { class: 'suggestion' },
        h('p', {}, h('strong', {}, 'Title: '), h('span', { class: 'ai-title-text' }, s.suggestedTitle)),
        h('p', {}, h('strong', {}, 'Description: '), s.suggestedDescription),
        h('ol', { class: 'fixes' }, (s.fixes || []).map((f) => h('li', {}, h('code', {}, f.code), ' ', f.fix))))
      : h('p', { class: 'muted' }, it.status === 'pending' ? 'Waiting for the provider…' : `${it.status}${it.error ? `: ${it.error}` : ''}`);
    return h('tr', { dataset: { url: it.url, status: it.status } },
      h('td', { class: 'url' }, h('a', { href: it.url, target: '_blank', rel: 'noopener noreferrer' }, it.url)),
      h('td', {}, findings),
      h('td', {}, suggestion));
  });
  section.hidden = false;
  fill(section, head,
    rows.length
      ? h('div', { class: 'table-wrap' }, h('table', { id: 'ai-table', class: 'pages' },
        h('thead', {}, h('tr', {}, ['Page', 'Findings', 'Suggestion'].map((col) => h('th', { scope: 'col' }, col)))),
        h('tbody', {}, rows)))
      : h('p', { class: 'muted' }, 'No page needed a suggestion.'),
    job.nextCursor ? h('p', { class: 'muted' }, 'The first 500 pages are shown.') : null);
}

/** Failed pages (withReason) or the pages of one finding (code: its per-page detail is shown when there is one). */
function pagesTable(items, withReason, code) {
  if (!items.length) return h('p', { class: 'muted' }, 'No pages.');
  const detailOf = (p) => p.detail || (code && Array.isArray(p.issues) ? ((p.issues.find((i) => i.code === code) || {}).detail || '') : '');
  const withDetail = !withReason && items.some(detailOf);
  const withPageCols = !withReason && items.some((p) => 'statusCode' in p || 'title' in p);
  const cols = withReason ? ['URL', 'Reason', 'Detail', 'Attempts'] : ['URL', ...(withPageCols ? ['Status', 'Title'] : []), ...(withDetail ? ['Detail'] : [])];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'pages' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c === 'Status' || c === 'Attempts' ? 'num' : undefined }, c)))),
    h('tbody', {}, items.map((p) => h('tr', {},
      h('td', { class: 'url' }, h('a', { href: p.url, target: '_blank', rel: 'noopener noreferrer' }, p.url)),
      withReason
        ? [h('td', {}, h('span', { class: 'sev sev-critical' }, p.failureReason || 'failed')), h('td', { class: 'muted' }, p.failureDetail || ''), h('td', { class: 'num' }, fmtInt(p.attempts))]
        : [
          withPageCols ? [h('td', { class: 'num' }, p.statusCode != null ? String(p.statusCode) : '–'), h('td', {}, p.title || h('span', { class: 'muted' }, '(no title)'))] : null,
          withDetail ? h('td', { class: 'muted' }, detailOf(p)) : null,
        ])))));
}

async function fillIssueDetail(runId, row, siteIssues, cell, signal) {
  fill(cell,
    row.why ? h('p', {}, h('strong', {}, 'Why it matters: '), row.why) : null,
    row.fix ? h('p', {}, h('strong', {}, 'How to fix: '), row.fix) : null);
  const list = h('div', { class: 'issue-pages', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading affected pages…'));
  cell.append(list);
  try {
    let items = [];
    if (row.pages && row.pages.length) {
      items = row.pages.map((p) => (typeof p === 'string' ? { url: p } : p));
    } else if (row.scope === 'site' && row.affectedPagesUrl) {
      // Site-level findings are not stored on page rows: the report lists their pages.
      const r = await api('GET', `${row.affectedPagesUrl}&limit=100`, undefined, { signal });
      items = r.items || [];
    } else {
      const r = await api('GET', `/api/runs/${encodeURIComponent(runId)}/pages?code=${encodeURIComponent(row.code)}&limit=100`, undefined, { signal });
      items = r.items || [];
    }
    clear(list);
    if (items.length) {
      list.append(pagesTable(items, false, row.code));
      if (row.count > items.length) list.append(h('p', {}, h('a', { href: `#/runs/${encodeURIComponent(runId)}/findings?code=${encodeURIComponent(row.code)}` }, `All ${fmtInt(row.count)} affected pages`)));
    } else {
      const groups = siteIssues.filter((i) => i.code === row.code);
      if (groups.length) {
        list.append(h('ul', { class: 'groups' }, groups.map((g) => h('li', {},
          g.detail ? h('p', { class: 'muted' }, g.detail) : null,
          h('ul', {}, (g.pages || []).map((u) => h('li', { class: 'url' }, h('a', { href: u, target: '_blank', rel: 'noopener noreferrer' }, u)))),
          g.sources && g.sources.length ? h('p', { class: 'muted' }, `linked from: ${g.sources.map((s) => s.from).join(', ')}`) : null))));
      } else {
        list.append(h('p', { class: 'muted' }, 'No page list is available for this finding.'));
      }
    }
  } catch (err) {
    if (isAbort(err)) return;
    fill(list, h('p', { class: 'form-error' }, err.message));
  }
}

// ---------------------------------------------------------------------------------------------- a batch

/** The Web UI link of a child workflow, from the parent's link (same UI, same namespace). */
function childUiUrl(parentUi, workflowId) {
  if (!parentUi || !workflowId) return null;
  const i = parentUi.lastIndexOf('/workflows/');
  return i < 0 ? null : `${parentUi.slice(0, i)}/workflows/${encodeURIComponent(workflowId)}`;
}

function renderBatch(batchId, signal) {
  const pill = h('span', {});
  const meta = h('p', { class: 'meta' });
  const links = h('div', { class: 'links' });
  const bar = progressBar('batch-progress', 'Batch progress');
  const live = h('p', { id: 'batch-live', class: 'live', 'aria-live': 'polite' }, 'Loading…');
  const stats = {
    total: stat('batch-total', 'Domains'),
    running: stat('batch-running', 'Running'),
    completed: stat('batch-completed', 'Completed'),
    failed: stat('batch-failed', 'Failed'),
    elapsed: stat('batch-elapsed', 'Elapsed'),
  };
  const errorNote = h('p', { class: 'note note-bad', hidden: true });
  const tbody = h('tbody', {});
  main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← All batches')),
    h('div', { class: 'head' }, h('div', {}, h('h1', {}, 'Batch ', h('code', {}, shortId(batchId))), meta), h('div', { class: 'head-side' }, pill, links)),
    h('section', { class: 'card', 'aria-labelledby': 'bprogress-title' },
      h('h2', { id: 'bprogress-title' }, 'Progress'), bar.el, live, errorNote,
      h('dl', { class: 'stats' }, Object.values(stats).map((x) => x.el))),
    h('section', { class: 'card', 'aria-labelledby': 'domains-title' },
      h('h2', { id: 'domains-title' }, 'Domains'),
      h('div', { class: 'table-wrap' }, h('table', { id: 'domains-table' },
        h('thead', {}, h('tr', {}, ['Domain', 'Status', 'Pages audited', 'Failure reason', 'Links'].map((c) => h('th', { scope: 'col' }, c)))),
        tbody))));

  let lastKey = '';
  poll(signal, async () => {
    const b = await api('GET', `/api/batches/${encodeURIComponent(batchId)}`, undefined, { signal });
    const isLive = LIVE_BATCH.has(b.status);
    const ds = Object.entries(b.domainStatuses || {});
    const running = ds.filter(([, d]) => d && LIVE_RUN.has(d.status) && d.status !== 'queued' && d.status !== 'pending').length;
    fill(pill, statusPill(b.status));
    fill(meta, h('span', {}, 'Batch ', h('code', {}, b.batchId)), ' · ', h('span', {}, `created ${fmtTime(b.createdAt)}`),
      b.endTime ? [' · ', h('span', {}, `ended ${fmtTime(b.endTime)}`)] : null);
    const ui = b.webUiUrl || (b.metadata && b.metadata.webUiUrl) || sessionStorage.getItem(`sitesweep.batchUi.${b.batchId}`);
    const key = `${b.status}|${ui}`;
    if (key !== lastKey) {
      lastKey = key;
      fill(links, temporalLink(ui, 'Open in Temporal Web UI'),
        isLive ? actionButton('Cancel batch', async () => {
          await api('POST', `/api/batches/${encodeURIComponent(b.batchId)}/cancel`);
          showMessage('Cancellation requested: the batch cancels its running sites.', 'info');
        }, 'danger') : null);
    }
    bar.set(isLive ? b.progress : 100, !isLive);
    stats.total.dd.textContent = fmtInt(b.totalDomains);
    stats.running.dd.textContent = fmtInt(running);
    stats.completed.dd.textContent = fmtInt(b.completedDomains);
    stats.failed.dd.textContent = fmtInt(b.failedDomains);
    stats.elapsed.dd.textContent = fmtDuration(b.processingTimeMs != null ? b.processingTimeMs : b.startTime ? Date.now() - Date.parse(b.startTime) : null);
    errorNote.hidden = !b.error;
    errorNote.textContent = b.error ? `Error: ${typeof b.error === 'string' ? b.error : JSON.stringify(b.error)}` : '';
    const sentence = isLive
      ? `Batch ${b.status}: ${fmtInt(b.completedDomains)} of ${fmtInt(b.totalDomains)} domains completed, ${fmtInt(b.failedDomains)} failed.`
      : `Batch ${b.status}: ${fmtInt(b.completedDomains)} completed, ${fmtInt(b.failedDomains)} failed of ${fmtInt(b.totalDomains)} domains.`;
    if (live.textContent !== sentence) live.textContent = sentence;

    fill(tbody, ...ds.map(([domain, d]) => {
      d = d || {};
      return h('tr', { dataset: { domain, status: d.status || '' } },
        h('th', { scope: 'row', class: 'url' }, domain),
        h('td', {}, statusPill(d.status)),
        h('td', { class: 'num' }, fmtInt(d.pagesAudited)),
        h('td', { class: d.error ? 'reason' : 'muted' }, d.error ? (typeof d.error === 'string' ? d.error : JSON.stringify(d.error)) : '–'),
        h('td', { class: 'links-cell' }, d.runId ? h('a', { href: `#/runs/${encodeURIComponent(d.runId)}`, 'aria-label': `Report for ${domain}` }, 'Report') : null,
          [' ', temporalLink(d.webUiUrl || childUiUrl(ui, d.workflowId))]));
    }));
    return !isLive;
  });
}

route();
