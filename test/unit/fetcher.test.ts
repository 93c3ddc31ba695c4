// Fetcher against the hostile fixture server: every bad behaviour must end in the right failureReason, inside its
// caps. Also the pure pieces it leans on (backoff, circuit breaker). The server is on loopback, so each Fetcher
// here opts in with an allowlist or allowPrivateTargets, except the ones testing the default refusal.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Fetcher, looksBinary, type FetchOptions } from '../../src/crawl/fetcher';
import { backoffDelay, parseRetryAfter } from '../../src/crawl/backoff';
import { CircuitBreaker } from '../../src/crawl/circuitBreaker';
import { startHostileServer, type HostileServer } from '../fixtures/hostileServer';
import { closedPort } from '../../src/ports';

const MB = 1024 * 1024;
const base: FetchOptions = { timeoutMs: 5000, maxBytes: 2 * MB, maxRedirects: 5, userAgent: 'SitesweepTest/1.0', retries: 0, retryBaseMs: 10 };

let server: HostileServer;
let other: HostileServer; // a second "host" (another port) for breaker isolation
let fetcher: Fetcher; // loopback allowed by allowlist, like a real local-site audit
const fetchers: Fetcher[] = [];

function makeFetcher(opts: Partial<ConstructorParameters<typeof Fetcher>[0]> = {}): Fetcher {
  const f = new Fetcher({ connectionsPerHost: 4, allowPrivateTargets: false, ...opts });
  fetchers.push(f);
  return f;
}

before(async () => {
  server = await startHostileServer();
  other = await startHostileServer();
  fetcher = makeFetcher({ targetAllowlist: ['127.0.0.1'] });
});

after(async () => {
  await Promise.all(fetchers.map((f) => f.close()));
  await Promise.all([server.close(), other.close()]);
});

const hits = (s: HostileServer, path: string): number => s.requests.filter((r) => r.path === path).length;

// ---------- happy paths ----------

void test('ok: 200 HTML page with lower-cased, joined headers and timings', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/ok#frag`, base);
  assert.equal(r.failureReason, null);
  assert.equal(r.statusCode, 200);
  assert.equal(r.url, `${server.origin}/ok`, 'fragment dropped');
  assert.equal(r.finalUrl, `${server.origin}/ok`);
  assert.equal(r.attempts, 1);
  assert.match(r.body ?? '', /<title>OK page<\/title>/);
  assert.equal(r.bytes, Buffer.byteLength(r.body ?? ''));
  assert.equal(r.contentType, 'text/html; charset=utf-8');
  assert.equal(r.headers['set-cookie'], 'a=1; Path=/, b=2; Path=/');
  assert.deepEqual(r.redirectChain, []);
  assert.ok(r.ttfbMs >= 0 && r.durationMs >= r.ttfbMs);
  assert.equal(r.rawBody, undefined);
});

void test('gzip-encoded page is decoded', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/gzip`, base);
  assert.equal(r.failureReason, null);
  assert.match(r.body ?? '', /<title>OK page<\/title>/);
});

void test('latin1 page is decoded with the Content-Type charset', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/latin1`, base);
  assert.equal(r.failureReason, null);
  assert.match(r.body ?? '', /Café crème/);
  assert.match(r.body ?? '', /déjà vu/);
});

void test('malformed HTML is still a page', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/malformed`, base);
  assert.equal(r.failureReason, null);
  assert.equal(r.statusCode, 200);
  assert.match(r.body ?? '', /unclosed paragraph/);
});

void test('404 is an audited page, not a failure', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/not-found`, base);
  assert.equal(r.failureReason, null);
  assert.equal(r.statusCode, 404);
  assert.match(r.body ?? '', /Not found/);
});

void test('non-HTML: success with body null and the content type; accept "any" returns raw bytes', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/not-html`, base);
  assert.equal(r.failureReason, null);
  assert.equal(r.contentType, 'application/pdf');
  assert.equal(r.body, null);
  const any = await fetcher.fetchPage(`${server.origin}/not-html`, { ...base, accept: 'any' });
  assert.equal(any.failureReason, null);
  assert.ok(any.rawBody?.subarray(0, 5).equals(Buffer.from('%PDF-')));
  assert.equal(any.body, null, 'binary types are not decoded as text');
});

// ---------- hostile bodies ----------

void test('slow-drip: hard timeout on the whole attempt, body included', async () => {
  const t = Date.now();
  const r = await fetcher.fetchPage(`${server.origin}/slow-drip`, { ...base, timeoutMs: 1500 });
  const elapsed = Date.now() - t;
  assert.equal(r.failureReason, 'timeout');
  assert.equal(r.statusCode, 200, 'headers had arrived');
  assert.ok(elapsed >= 1400 && elapsed < 3000, `took ${elapsed} ms`);
});

void test('huge (no Content-Length): too_large as soon as the cap is passed', async () => {
  const t = Date.now();
  const r = await fetcher.fetchPage(`${server.origin}/huge`, base);
  assert.equal(r.failureReason, 'too_large');
  assert.ok(r.bytes > 2 * MB && r.bytes < 3 * MB, `read ${r.bytes} bytes`);
  assert.ok(Date.now() - t < 2000);
});

void test('huge-declared: too_large from Content-Length without reading', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/huge-declared`, base);
  assert.equal(r.failureReason, 'too_large');
  assert.equal(r.bytes, 0);
  assert.match(r.failureDetail ?? '', /Content-Length 52428800/);
});

void test('gzip-bomb: decoded bytes count against the cap; memory stays small', async () => {
  const rss0 = process.memoryUsage().rss;
  const r = await fetcher.fetchPage(`${server.origin}/gzip-bomb`, base);
  const grown = (process.memoryUsage().rss - rss0) / MB;
  assert.equal(r.failureReason, 'too_large');
  assert.ok(r.bytes < 3 * MB, `decoded ${r.bytes} bytes`);
  assert.ok(grown < 100, `RSS grew by ${grown.toFixed(1)} MB`);
});

void test('binary-as-html: not_html', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/binary-as-html`, base);
  assert.equal(r.failureReason, 'not_html');
  assert.equal(r.body, null);
});

void test('looksBinary: valid UTF-8 is judged on its bytes exactly as on its decoded text', () => {
  // The decoding judgement, as the fetcher made it for every page before it read valid UTF-8 bytes directly.
  const byDecoding = (sample: Buffer): boolean => {
    if (sample.includes(0)) return true;
    const text = new TextDecoder('utf-8').decode(sample, { stream: true });
    let bad = 0;
    for (const ch of text) {
      const c = ch.codePointAt(0) as number;
      if (c === 0xfffd || c === 0x7f || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d)) bad += 1;
    }
    return bad / Math.max(1, text.length) > 0.1;
  };
  // Text with multibyte and four-byte characters and a growing share of control characters, around the 10% line.
  const pieces = ['<p>Grüße ', '日本語 ', '😀 ', 'plain ascii words ', '\x01', '\x7f', '\x1b', '\t\n'];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  let binary = 0;
  for (let n = 0; n < 400; n++) {
    let s = '';
    const controlShare = (n % 40) / 40;
    while (s.length < 300) s += next() / 2147483648 < controlShare ? pieces[4 + (next() % 3)] : pieces[next() % 4];
    const sample = Buffer.from(s, 'utf8');
    assert.equal(looksBinary(sample, 'utf-8'), byDecoding(sample), JSON.stringify(s));
    if (byDecoding(sample)) binary++;
  }
  assert.ok(binary > 50 && binary < 350, `both verdicts seen (${binary} of 400 binary)`);
  // At the 10% line: a four-byte character is two code units (2 controls in 20 units: text), form feed is whitespace.
  for (const s of ['😀'.repeat(9) + '\x01\x01', '😀'.repeat(9) + '\x01\x01\x01', '\f\f\f\f\fabcde', '\x01\x01\x01\x01\x01abcde']) {
    const sample = Buffer.from(s, 'utf8');
    assert.equal(looksBinary(sample, 'utf-8'), byDecoding(sample), JSON.stringify(s));
  }
  assert.deepEqual(['😀'.repeat(9) + '\x01\x01', '\f\f\f\f\fabcde'].map((s) => looksBinary(Buffer.from(s, 'utf8'), 'utf-8')), [false, false]);
  // Invalid UTF-8 still goes through the decoder (each bad byte is a replacement character).
  assert.equal(looksBinary(Buffer.from([0x3c, 0x70, 0xff, 0xfe, 0xfd, 0xfc, 0x3e]), 'utf-8'), true);
});

// ---------- redirects ----------

void test('redirect chain is followed by hand and recorded', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/redirect-chain/3`, base);
  assert.equal(r.failureReason, null);
  assert.equal(r.finalUrl, `${server.origin}/ok`);
  assert.deepEqual(r.redirectChain, [
    { url: `${server.origin}/redirect-chain/3`, status: 302 },
    { url: `${server.origin}/redirect-chain/2`, status: 302 },
    { url: `${server.origin}/redirect-chain/1`, status: 302 },
  ]);
});

void test('redirect loop: redirect_loop', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/loop-a`, base);
  assert.equal(r.failureReason, 'redirect_loop');
  assert.equal(r.redirectChain.length, 2);
});

void test('too many redirects: too_many_redirects', async () => {
  const r = await fetcher.fetchPage(`${server.origin}/redirect-chain/5`, { ...base, maxRedirects: 2 });
  assert.equal(r.failureReason, 'too_many_redirects');
  assert.equal(r.redirectChain.length, 3);
});

void test('redirect to the metadata IP is blocked even though the first hop is allowlisted', async () => {
  server.reset();
  const r = await fetcher.fetchPage(`${server.origin}/redirect-private`, base);
  assert.equal(r.failureReason, 'blocked_target');
  assert.match(r.failureDetail ?? '', /169\.254\.169\.254/);
  assert.equal(hits(server, '/redirect-private'), 1);
  assert.deepEqual(r.redirectChain, [{ url: `${server.origin}/redirect-private`, status: 302 }]);
});

void test("a run's headers go to its own origin only: none of them follows a redirect to another origin", async () => {
  // Custom headers are credentials as much as Authorization and Cookie are (an API key, a preview token): a redirect to
  // another origin used to carry them along.
  const seen: Array<{ port: number; path: string; headers: http.IncomingHttpHeaders }> = [];
  const listen = (handler: http.RequestListener) => new Promise<http.Server>((resolve) => {
    const srv = http.createServer(handler);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
  const page = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><title>landed</title></html>');
  const b = await listen((req, res) => {
    seen.push({ port: (b.address() as AddressInfo).port, path: req.url ?? '', headers: req.headers });
    page(res);
  });
  const bPort = (b.address() as AddressInfo).port;
  const a = await listen((req, res) => {
    seen.push({ port: (a.address() as AddressInfo).port, path: req.url ?? '', headers: req.headers });
    if (req.url === '/away') return void res.writeHead(302, { location: `http://127.0.0.1:${bPort}/landing` }).end();
    if (req.url === '/here') return void res.writeHead(302, { location: '/landing' }).end();
    page(res);
  });
  const aOrigin = `http://127.0.0.1:${(a.address() as AddressInfo).port}`;
  const run = { authorization: 'Basic YTpi', cookie: 'sid=1', 'x-preview-token': 'tok-123' };
  try {
    const away = await fetcher.fetchPage(`${aOrigin}/away`, { ...base, headers: run });
    assert.equal(away.statusCode, 200);
    const landed = seen.find((r) => r.port === bPort)!;
    assert.ok(landed, 'the redirect was followed');
    for (const name of Object.keys(run)) assert.equal(landed.headers[name], undefined, `${name} stayed with its origin`);
    assert.equal(landed.headers['user-agent'], base.userAgent, "the crawler's own headers still go");
    const here = await fetcher.fetchPage(`${aOrigin}/here`, { ...base, headers: run });
    assert.equal(here.statusCode, 200);
    const sameOrigin = seen.filter((r) => r.path === '/landing' && r.port !== bPort);
    assert.equal(sameOrigin.length, 1);
    for (const [name, value] of Object.entries(run)) assert.equal(sameOrigin[0].headers[name], value, `${name} on a same-origin hop`);
  } finally {
    a.close();
    b.close();
  }
});

// ---------- SSRF defaults ----------

void test('by default the loopback server itself is blocked before any request', async () => {
  server.reset();
  const r = await makeFetcher().fetchPage(`${server.origin}/ok`, base);
  assert.equal(r.failureReason, 'blocked_target');
  assert.equal(r.attempts, 0);
  assert.equal(server.requests.length, 0);
});

void test('by default a DNS name resolving to loopback (localhost) is blocked at connect time', async () => {
  server.reset();
  const url = `${server.origin.replace('127.0.0.1', 'localhost')}/ok`;
  const r = await makeFetcher().fetchPage(url, base);
  assert.equal(r.failureReason, 'blocked_target');
  assert.equal(server.requests.length, 0);
  // The same name is fine once allowlisted by name.
  const ok = await makeFetcher({ targetAllowlist: ['localhost'] }).fetchPage(url, base);
  assert.equal(ok.failureReason, null);
});

void test('decimal IP literal of loopback is blocked', async () => {
  const port = new URL(server.origin).port;
  const r = await makeFetcher().fetchPage(`http://2130706433:${port}/ok`, base);
  assert.equal(r.failureReason, 'blocked_target');
});

void test('ALLOW_PRIVATE_TARGETS allows loopback only: a redirect to the metadata address is still refused', async () => {
  server.reset();
  const loopbackOnly = makeFetcher({ allowPrivateTargets: true });
  const ok = await loopbackOnly.fetchPage(`${server.origin}/ok`, base);
  assert.equal(ok.failureReason, null, 'loopback itself is allowed');
  const r = await loopbackOnly.fetchPage(`${server.origin}/redirect-private`, base);
  assert.equal(r.failureReason, 'blocked_target', 'the redirect hop goes through the same policy');
  assert.match(r.failureDetail ?? '', /169\.254\.169\.254/);
  // A private literal that is not loopback (a link or canonical target, an external link) is refused before connecting.
  const priv = await loopbackOnly.fetchPage('http://10.0.0.1/', base);
  assert.equal(priv.failureReason, 'blocked_target');
  assert.equal(priv.attempts, 0);
  await loopbackOnly.close();
});

// ---------- retries ----------

void test('flaky: two 500s then success, attempts 3', async () => {
  server.reset();
  const r = await fetcher.fetchPage(`${server.origin}/flaky`, { ...base, retries: 2 });
  assert.equal(r.failureReason, null);
  assert.equal(r.statusCode, 200);
  assert.equal(r.attempts, 3);
});

void test('always-503: http_5xx after retries+1 attempts', async () => {
  server.reset();
  const r = await fetcher.fetchPage(`${server.origin}/always-503`, { ...base, retries: 2 });
  assert.equal(r.failureReason, 'http_5xx');
  assert.equal(r.statusCode, 503);
  assert.equal(r.attempts, 3);
  assert.equal(hits(server, '/always-503'), 3);
});

void test('rate-limited: Retry-After 1 s is honoured, then success', async () => {
  server.reset();
  const r = await fetcher.fetchPage(`${server.origin}/rate-limited`, { ...base, retries: 2 });
  assert.equal(r.failureReason, null);
  assert.equal(r.attempts, 2);
  const [first, second] = server.requests.map((q) => q.at);
  const waited = second - first;
  assert.ok(waited >= 900 && waited < 2000, `waited ${waited} ms`);
});

void test('rate-limited without retries: rate_limited; Retry-After is capped by retryMaxMs', async () => {
  server.reset();
  const r = await fetcher.fetchPage(`${server.origin}/rate-limited`, base);
  assert.equal(r.failureReason, 'rate_limited');
  assert.equal(r.statusCode, 429);
  server.reset();
  const t = Date.now();
  const capped = await fetcher.fetchPage(`${server.origin}/rate-limited`, { ...base, retries: 1, retryMaxMs: 100 });
  assert.equal(capped.failureReason, null);
  assert.ok(Date.now() - t < 800);
});

// ---------- connection errors ----------

void test('connection refused and reset are classified', async () => {
  const f = makeFetcher({ allowPrivateTargets: true });
  const refused = await f.fetchPage(`http://127.0.0.1:${await closedPort()}/`, { ...base, retries: 1 });
  assert.equal(refused.failureReason, 'connection_refused');
  assert.equal(refused.attempts, 2, 'refused is retryable');
  const reset = await f.fetchPage(`${server.origin}/reset-connection`, base);
  assert.equal(reset.failureReason, 'connection_reset');
});

void test('unresolvable name: dns', async () => {
  const r = await makeFetcher().fetchPage('http://does-not-exist.invalid/', base);
  assert.equal(r.failureReason, 'dns');
});

void test('invalid URL and non-http scheme: invalid_url', async () => {
  assert.equal((await fetcher.fetchPage('not a url', base)).failureReason, 'invalid_url');
  const ftp = await fetcher.fetchPage('ftp://example.com/file', base);
  assert.equal(ftp.failureReason, 'invalid_url');
  assert.equal(ftp.attempts, 0);
});

// ---------- cancellation ----------

void test('abort signal stops a slow body at once', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  const t = Date.now();
  const r = await fetcher.fetchPage(`${server.origin}/slow-drip`, { ...base, signal: ac.signal, retries: 2 });
  assert.equal(r.failureReason, 'aborted');
  assert.ok(Date.now() - t < 1000);
});

void test('abort signal interrupts a backoff sleep, and an aborted signal sends nothing', async (ctx) => {
  server.reset();
  // Full jitter draws the sleep from [0, 20 s): a draw under the 200 ms below retried before the abort (a CI run did).
  ctx.mock.method(Math, 'random', () => 0.99);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  const t = Date.now();
  const r = await fetcher.fetchPage(`${server.origin}/always-503`, { ...base, signal: ac.signal, retries: 3, retryBaseMs: 20_000 });
  assert.equal(r.failureReason, 'aborted');
  assert.equal(r.attempts, 1);
  assert.ok(Date.now() - t < 1000);
  const pre = await fetcher.fetchPage(`${server.origin}/ok`, { ...base, signal: AbortSignal.abort() });
  assert.equal(pre.failureReason, 'aborted');
  assert.equal(pre.attempts, 0);
});

// ---------- circuit breaker ----------

void test('breaker opens after N failures for that host only, then half-opens after the cool-down', async () => {
  server.reset();
  const f = makeFetcher({ allowPrivateTargets: true, breaker: { failureThreshold: 2, cooldownMs: 300 } });
  assert.equal((await f.fetchPage(`${server.origin}/always-503`, base)).failureReason, 'http_5xx');
  assert.equal((await f.fetchPage(`${server.origin}/always-503`, base)).failureReason, 'http_5xx');
  const open = await f.fetchPage(`${server.origin}/ok`, base);
  assert.equal(open.failureReason, 'circuit_open');
  assert.equal(open.attempts, 0);
  assert.equal(hits(server, '/ok'), 0, 'nothing sent while open');
  // Another host (other port) is unaffected.
  assert.equal((await f.fetchPage(`${other.origin}/ok`, base)).failureReason, null);
  // After the cool-down one trial goes through; its success closes the circuit.
  await new Promise((r) => setTimeout(r, 350));
  assert.equal((await f.fetchPage(`${server.origin}/ok`, base)).failureReason, null);
  assert.equal((await f.fetchPage(`${server.origin}/always-503`, base)).failureReason, 'http_5xx', 'one failure after closing does not reopen');
  assert.equal((await f.fetchPage(`${server.origin}/ok`, base)).failureReason, null);
});

void test("a URL's own 5xx retries do not open the breaker; only its last attempt counts", async () => {
  server.reset();
  const f = makeFetcher({ allowPrivateTargets: true, breaker: { failureThreshold: 2, cooldownMs: 10_000 } });
  const r = await f.fetchPage(`${server.origin}/always-503`, { ...base, retries: 5 });
  assert.equal(r.failureReason, 'http_5xx');
  assert.equal(r.attempts, 6, 'every retry was sent: one URL answering 500 says nothing about the host');
  assert.equal((await f.fetchPage(`${server.origin}/ok`, base)).failureReason, null, 'the circuit is still closed');
});

void test('500 answers are pages\' own errors: any number of them in a row leaves the circuit closed; 502/503/504 open it', async () => {
  server.reset();
  const f = makeFetcher({ allowPrivateTargets: true, breaker: { failureThreshold: 2, cooldownMs: 10_000 } });
  for (let i = 0; i < 5; i++) assert.equal((await f.fetchPage(`${server.origin}/always-500`, base)).failureReason, 'http_5xx');
  assert.equal(hits(server, '/always-500'), 5, 'each one sent');
  assert.equal((await f.fetchPage(`${server.origin}/ok`, base)).failureReason, null, 'still closed after five 500s');
  for (let i = 0; i < 2; i++) assert.equal((await f.fetchPage(`${server.origin}/always-503`, base)).failureReason, 'http_5xx');
  assert.equal((await f.fetchPage(`${server.origin}/ok`, base)).failureReason, 'circuit_open', 'two 503s in a row open it');
});

void test('a failed half-open trial reopens the circuit at once; the URL reports circuit_open so the caller defers it', async () => {
  server.reset();
  const f = makeFetcher({ allowPrivateTargets: true, breaker: { failureThreshold: 2, cooldownMs: 300 } });
  for (let i = 0; i < 2; i++) assert.equal((await f.fetchPage(`${server.origin}/always-503`, { ...base, retries: 0 })).failureReason, 'http_5xx');
  assert.equal((await f.fetchPage(`${server.origin}/ok`, base)).failureReason, 'circuit_open');
  await new Promise((r) => setTimeout(r, 350));
  const before = hits(server, '/always-503');
  const trial = await f.fetchPage(`${server.origin}/always-503`, { ...base, retries: 3, retryBaseMs: 10 });
  assert.equal(trial.failureReason, 'circuit_open', 'cut short by the reopened circuit, not recorded as the host failing');
  assert.equal(hits(server, '/always-503') - before, 1, 'only the trial was sent');
  assert.equal((await f.fetchPage(`${server.origin}/ok`, base)).failureReason, 'circuit_open', 'reopened');
});

void test('CircuitBreaker state machine with a fake clock', () => {
  let now = 0;
  const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 }, () => now);
  for (let i = 0; i < 2; i++) {
    assert.equal(b.tryAcquire('a'), true);
    b.onFailure('a');
  }
  assert.equal(b.state('a'), 'closed');
  assert.equal(b.tryAcquire('a'), true);
  b.onFailure('a');
  assert.equal(b.state('a'), 'open');
  assert.equal(b.tryAcquire('a'), false);
  assert.equal(b.tryAcquire('b'), true, 'other hosts unaffected');
  now = 1000;
  assert.equal(b.state('a'), 'half_open');
  assert.equal(b.tryAcquire('a'), true, 'one trial');
  assert.equal(b.tryAcquire('a'), false, 'only one trial at a time');
  b.onFailure('a');
  assert.equal(b.state('a'), 'open', 'failed trial re-opens');
  now = 2000;
  assert.equal(b.tryAcquire('a'), true);
  b.onNeutral('a');
  assert.equal(b.tryAcquire('a'), true, 'a neutral outcome releases the trial');
  b.onSuccess('a');
  assert.equal(b.state('a'), 'closed');
  const off = new CircuitBreaker();
  for (let i = 0; i < 100; i++) off.onFailure('a');
  assert.equal(off.tryAcquire('a'), true, 'no options: never opens');
});

// ---------- backoff ----------

void test('backoffDelay: full jitter under an exponential, capped ceiling', () => {
  assert.equal(backoffDelay(0, 500, 30_000, () => 0), 0);
  assert.equal(backoffDelay(0, 500, 30_000, () => 0.5), 250);
  assert.equal(backoffDelay(3, 500, 30_000, () => 0.5), 2000);
  assert.equal(backoffDelay(20, 500, 30_000, () => 0.999999), 29_999, 'capped at maxMs');
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(2, 100, 1000);
    assert.ok(d >= 0 && d < 400);
  }
});

void test('parseRetryAfter: seconds, HTTP date, garbage', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('1', now), 1000);
  assert.equal(parseRetryAfter(' 120 ', now), 120_000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0, 'past dates mean now');
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter('-5', now), null);
  assert.equal(parseRetryAfter('', now), null);
  assert.equal(parseRetryAfter(undefined, now), null);
});
