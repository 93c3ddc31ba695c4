import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidPatternError, compilePatterns, createScope } from '../../src/audit/scope';

void test('createScope: same host only by default', () => {
  const s = createScope({ siteHost: 'example.com', maxDepth: 3 });
  assert.equal(s.reason('https://example.com/a'), 'ok');
  assert.equal(s.reason('https://www.example.com/a'), 'external');
  assert.equal(s.reason('https://blog.example.com/a'), 'external');
  assert.equal(s.reason('https://other.org/'), 'external');
  assert.equal(s.inScope('https://example.com/a'), true);
  assert.equal(s.inScope('https://other.org/'), false);
});

void test('createScope: subdomains internal', () => {
  const s = createScope({ siteHost: 'www.example.com', subdomainsInternal: true, maxDepth: 3 });
  assert.equal(s.reason('https://blog.example.com/a'), 'ok');
  assert.equal(s.reason('https://example.com/a'), 'ok');
  assert.equal(s.reason('https://example.org/a'), 'external');
});

void test('createScope: include/exclude on the full URL, exclude wins', () => {
  const s = createScope({
    siteHost: 'example.com',
    include: ['^https://example\\.com/blog/', '/docs/'],
    exclude: ['\\?page=\\d+', '/blog/drafts/'],
    maxDepth: 5,
  });
  assert.equal(s.reason('https://example.com/blog/post'), 'ok');
  assert.equal(s.reason('https://example.com/en/docs/x'), 'ok');
  assert.equal(s.reason('https://example.com/shop'), 'not_included');
  assert.equal(s.reason('https://example.com/blog/drafts/1'), 'excluded');
  assert.equal(s.reason('https://example.com/blog/?page=2'), 'excluded');
  assert.equal(s.reason('https://other.org/blog/'), 'external');
});

void test('createScope: exclude only, and empty include means everything', () => {
  const s = createScope({ siteHost: 'example.com', include: [], exclude: ['\\.pdf$'], maxDepth: 5 });
  assert.equal(s.reason('https://example.com/a'), 'ok');
  assert.equal(s.reason('https://example.com/a.pdf'), 'excluded');
});

void test('createScope: depth limit when a depth is given', () => {
  const s = createScope({ siteHost: 'example.com', maxDepth: 2 });
  assert.equal(s.maxDepth, 2);
  assert.equal(s.reason('https://example.com/a', 2), 'ok');
  assert.equal(s.reason('https://example.com/a', 3), 'too_deep');
  assert.equal(s.inScope('https://example.com/a', 3), false);
  assert.equal(s.inScope('https://example.com/a'), true);
});

void test('compilePatterns: a bad regex throws an error naming it', () => {
  assert.throws(() => compilePatterns(['/ok/', '(unclosed']), (err: unknown) => {
    assert.ok(err instanceof InvalidPatternError);
    assert.equal(err.pattern, '(unclosed');
    assert.match(err.message, /\(unclosed/);
    return true;
  });
  assert.throws(() => createScope({ siteHost: 'example.com', exclude: ['[z-a]'], maxDepth: 1 }), /\[z-a\]/);
});

void test('compilePatterns: rejects over-long and empty patterns, compiles good ones', () => {
  assert.throws(() => compilePatterns(['a'.repeat(501)]), /longer than 500/);
  assert.doesNotThrow(() => compilePatterns(['a'.repeat(500)]));
  assert.throws(() => compilePatterns(['  ']), /empty pattern/);
  assert.deepEqual(compilePatterns(undefined), []);
  const [re] = compilePatterns(['/blog/']);
  assert.equal(re.test('https://example.com/blog/x'), true);
  assert.equal(re.flags, '');
});
