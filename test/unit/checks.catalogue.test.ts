// The catalogue is a contract: codes are unique, documented, and match what the code emits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLER_PAGE_CHECK_CODES, CHECKS, CHECKS_BY_CODE, findCheck, PAGE_CHECK_CODES, SITE_CHECK_CODES } from '../../src/audit/catalogue';
import { DEFAULT_THRESHOLDS, resolveThresholds, thresholdsSchema } from '../../src/audit/thresholds';

void test('codes are unique and indexed', () => {
  const codes = CHECKS.map((c) => c.code);
  assert.equal(new Set(codes).size, codes.length);
  assert.equal(Object.keys(CHECKS_BY_CODE).length, codes.length);
  for (const c of CHECKS) {
    assert.equal(CHECKS_BY_CODE[c.code], c);
    assert.equal(findCheck(c.code), c);
  }
  // Codes not known at compile time (stored by an older version, or from a request) find nothing, not a prototype key.
  for (const code of ['retired_code', 'toString', 'constructor', '__proto__']) assert.equal(findCheck(code), undefined, code);
});

void test('every check has a title, description, why and fix', () => {
  for (const c of CHECKS) {
    for (const field of ['title', 'description', 'why', 'fix'] as const) {
      assert.ok(c[field].trim().length > 0, `${c.code}.${field}`);
    }
    assert.match(c.code, /^[a-z0-9_]+$/);
    assert.ok(['critical', 'warning', 'notice'].includes(c.severity), c.code);
  }
});

void test('page-scope codes are exactly what analyzePage emits plus the caller-added ones', () => {
  const page = CHECKS.filter((c) => c.scope === 'page').map((c) => c.code).sort();
  assert.deepEqual(page, [...PAGE_CHECK_CODES, ...CALLER_PAGE_CHECK_CODES].sort());
  const site = CHECKS.filter((c) => c.scope === 'site').map((c) => c.code).sort();
  assert.deepEqual(site, [...SITE_CHECK_CODES].sort());
});

void test('the contract codes from the brief are all present', () => {
  for (const code of ['status_4xx', 'redirect_loop', 'noindex', 'blocked_by_robots', 'title_too_wide', 'canonical_conflict_header',
    'hreflang_lang_mismatch', 'link_text_nondescriptive', 'missing_hsts', 'jsonld_invalid', 'duplicate_title', 'near_duplicate',
    'broken_internal_link', 'canonical_to_error', 'robots_txt_invalid', 'not_in_sitemap']) {
    assert.ok(findCheck(code), code);
  }
});

void test('severities follow the documented policy', () => {
  for (const code of ['status_4xx', 'status_5xx', 'redirect_loop', 'title_missing', 'broken_internal_link', 'canonical_to_error'] as const) {
    assert.equal(CHECKS_BY_CODE[code].severity, 'critical', code);
  }
  assert.equal(CHECKS_BY_CODE.noindex.severity, 'warning');
  assert.equal(CHECKS_BY_CODE.url_underscore.severity, 'notice');
});

void test('thresholds in the catalogue name real keys with their defaults', () => {
  const used = new Set<string>();
  for (const c of CHECKS) {
    if (!c.threshold) continue;
    assert.ok(c.threshold.key in DEFAULT_THRESHOLDS, c.code);
    assert.equal(c.threshold.default, DEFAULT_THRESHOLDS[c.threshold.key]);
    assert.ok(c.threshold.unit.length > 0);
    used.add(c.threshold.key);
  }
  // Every threshold drives at least one check.
  assert.deepEqual([...used].sort(), Object.keys(DEFAULT_THRESHOLDS).sort());
});

void test('default thresholds', () => {
  assert.deepEqual({ ...DEFAULT_THRESHOLDS }, {
    titleMinChars: 30, titleMaxChars: 60, titleMaxPx: 561, descriptionMinChars: 70, descriptionMaxChars: 155, descriptionMaxPx: 985,
    h1MaxChars: 70, h2MaxChars: 70, fleschMinScore: 30, thinContentWords: 200, slowResponseMs: 800, maxPageBytes: 2_000_000, maxDomNodes: 1500, imgAltMaxChars: 100,
    maxLinks: 100, urlMaxChars: 115, redirectChainMaxHops: 1, imageMaxBytes: 102_400,
  });
});

void test('thresholdsSchema: partial, positive numbers, no unknown keys', () => {
  assert.deepEqual(thresholdsSchema.parse({}), {});
  assert.deepEqual(thresholdsSchema.parse({ titleMaxChars: 65 }), { titleMaxChars: 65 });
  assert.equal(thresholdsSchema.safeParse({ titleMaxChars: 0 }).success, false);
  assert.equal(thresholdsSchema.safeParse({ titleMaxChars: -5 }).success, false);
  assert.equal(thresholdsSchema.safeParse({ titleMaxChars: '60' }).success, false);
  assert.equal(thresholdsSchema.safeParse({ titleMaxChars: Number.POSITIVE_INFINITY }).success, false);
  assert.equal(thresholdsSchema.safeParse({ titleMax: 60 }).success, false);
});

void test('resolveThresholds merges over the defaults and validates', () => {
  assert.equal(resolveThresholds(), DEFAULT_THRESHOLDS);
  const t = resolveThresholds({ maxLinks: 250 });
  assert.equal(t.maxLinks, 250);
  assert.equal(t.titleMaxChars, 60);
  assert.throws(() => resolveThresholds({ maxLinks: -1 }));
  assert.throws(() => resolveThresholds({ nope: 1 } as never));
  // Undefined values keep the default.
  assert.equal(resolveThresholds({ maxLinks: undefined }).maxLinks, 100);
});
