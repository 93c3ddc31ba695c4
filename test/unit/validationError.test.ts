// One formatter for every validation failure (API bodies and queries, CLI settings): field names as people read them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { startRunSchema } from '../../src/api/schemas';
import { loadConfig } from '../../src/config';
import { DomainError, parseOr400 } from '../../src/errors';

const schema = z.object({ domains: z.array(z.string().min(3)), options: z.object({ sitemaps: z.array(z.string().url()).optional() }).optional() });

function refusal(value: unknown, prefix?: string): DomainError {
  try {
    parseOr400(schema, value, prefix);
  } catch (err) {
    assert.ok(err instanceof DomainError);
    return err;
  }
  assert.fail('accepted');
}

void test('array entries are named with brackets, nested fields with dots, a prefix first', () => {
  const e = refusal({ domains: ['example.com', 'x'], options: { sitemaps: ['nope'] } });
  assert.equal(e.code, 'invalid_request');
  assert.deepEqual((e.details as Array<{ field: string }>).map((d) => d.field), ['domains[1]', 'options.sitemaps[0]']);
  assert.match(e.message, /^domains\[1\]: .+; options\.sitemaps\[0\]: /);
  assert.equal((refusal({ domains: 'x' }, 'budgets').details as Array<{ field: string }>)[0].field, 'budgets.domains');
  assert.equal((refusal('x').details as Array<{ field: string }>)[0].field, '(body)');
});

void test('the message names at most ten fields; details keep them all', () => {
  const e = refusal({ domains: Array.from({ length: 25 }, () => 'x') });
  assert.equal((e.details as unknown[]).length, 25);
  assert.equal(e.message.split('; ').length, 11);
  assert.match(e.message, /… and 15 more$/);
});

void test('a bad run URL is refused once, for the first rule it breaks', () => {
  const refuse = (url: string) => {
    try {
      parseOr400(startRunSchema, { url });
    } catch (err) {
      assert.ok(err instanceof DomainError);
      return { message: err.message, fields: (err.details as Array<{ field: string }>).map((d) => d.field) };
    }
    return assert.fail('accepted');
  };
  assert.deepEqual(refuse('/'), { message: 'url: must be an absolute http(s) URL (host name or IPv4; printable characters)', fields: ['url'] });
  assert.deepEqual(refuse(`http://example.com/${'a'.repeat(3000)}`), { message: 'url: must be at most 2048 characters', fields: ['url'] });
});

void test("a worker's connection pool per origin is never below the largest perHostConcurrency a run may ask for", () => {
  const pool = loadConfig({}).crawl.connectionsPerHost;
  const accepts = (n: number) => startRunSchema.safeParse({ url: 'https://example.com/', options: { perHostConcurrency: n } }).success;
  assert.ok(accepts(pool), `perHostConcurrency ${pool} is a valid run option`);
  assert.ok(!accepts(pool + 1), `perHostConcurrency ${pool + 1} is refused, so no run asks for more connections than the pool has`);
});
