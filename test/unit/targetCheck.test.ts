// The API's up-front target check (POST /api/runs, /api/batches, PUT /api/schedule): each host name looked up once,
// all within one deadline, the first field naming a refused host named in the error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config';
import { assertAllowedTargets, TARGET_LOOKUP_DEADLINE_MS } from '../../src/api/runService';
import { DomainError } from '../../src/errors';

const config = loadConfig({ ALLOW_PRIVATE_TARGETS: 'false' });

/** A resolver that answers from a table, and never for names it does not know (a dropped query). */
function fakeDns(table: Record<string, string[]>) {
  const asked: string[] = [];
  const lookup = (hostname: string) => {
    asked.push(hostname);
    const answer = table[hostname];
    return answer ? Promise.resolve(answer) : new Promise<string[]>(() => {});
  };
  return { asked, lookup };
}

test('a host named many times is looked up once; the refusal names its first field', async () => {
  const dns = fakeDns({ 'inside.test': ['10.0.0.7'], 'site.test': ['93.184.215.14'] });
  const targets = [
    { url: 'https://site.test/', field: 'url' },
    ...Array.from({ length: 19 }, (_, i) => ({ url: `http://inside.test/sitemap-${i}.xml`, field: `options.sitemaps[${i}]` })),
  ];
  await assert.rejects(assertAllowedTargets(config, targets, dns.lookup), (err: unknown) => {
    assert.ok(err instanceof DomainError);
    assert.equal(err.code, 'blocked_target');
    assert.match(err.message, /^options\.sitemaps\[0\]: target inside\.test \(resolves to 10\.0\.0\.7\)/);
    return true;
  });
  assert.deepEqual(dns.asked.sort(), ['inside.test', 'site.test']);
});

test('names the resolver never answers cost one deadline in all, not one per group of lookups', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  // 40 distinct silent names: three groups of lookups. Each used to wait its own 5 s.
  const dns = fakeDns({});
  const targets = Array.from({ length: 40 }, (_, i) => ({ url: `https://silent-${i}.test/`, field: `domains[${i}]` }));
  let settled = false;
  const check = assertAllowedTargets(config, targets, dns.lookup).then(() => { settled = true; });
  for (let i = 0; i < 10; i++) await Promise.resolve();
  t.mock.timers.tick(TARGET_LOOKUP_DEADLINE_MS);
  for (let i = 0; i < 50 && !settled; i++) await Promise.resolve();
  assert.equal(settled, true, 'let through (the crawl records a dns failure) once the deadline has passed');
  await check;
  // The first group waited out the deadline; the later groups found it passed and asked nothing.
  assert.equal(dns.asked.length, 16);
});

test('IP literals are judged without a lookup, even after the deadline', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const dns = fakeDns({});
  const targets = [
    ...Array.from({ length: 16 }, (_, i) => ({ url: `https://silent-${i}.test/`, field: `domains[${i}]` })),
    { url: 'http://169.254.169.254/latest/meta-data/', field: 'domains[16]' },
  ];
  const check = assertAllowedTargets(config, targets, dns.lookup);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  t.mock.timers.tick(TARGET_LOOKUP_DEADLINE_MS);
  await assert.rejects(check, /^Error: domains\[16\]: target 169\.254\.169\.254 is a private\/blocked address/);
  assert.equal(dns.asked.length, 16);
});
