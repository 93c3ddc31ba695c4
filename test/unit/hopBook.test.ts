// The run's book of answered URLs (src/activities/hopBook.ts): one owner per URL, waiters get the owner's answer, a
// URL without an answer is requested again by the next caller, the URL a caller asked for is requested unless it
// is known to redirect.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordShelf, RunHopBook } from '../../src/activities/hopBook';
import type { HopAnswer } from '../../src/crawl/fetcher';

const final = (statusCode: number): HopAnswer => ({ kind: 'final', statusCode, contentType: 'text/html', bytes: 10, ttfbMs: 1, failureReason: null });

void test('a redirect hop waits for the request in flight and takes its answer', async () => {
  const book = new RunHopBook();
  const owner = book.enter('http://a.test/t', true);
  assert.ok(owner.settle, 'first caller owns the URL');
  assert.equal(await owner.answer, null, 'nothing known yet: request it');
  const waiter = book.enter('http://a.test/t', true);
  assert.equal(waiter.settle, undefined, 'second caller does not request it');
  owner.settle(final(404));
  assert.deepEqual(await waiter.answer, final(404));
  assert.deepEqual(await book.enter('http://a.test/t', true).answer, final(404), 'settled answers stay');
});

void test('no answer (a failed request): the next caller requests the URL itself', async () => {
  const book = new RunHopBook();
  const owner = book.enter('http://a.test/t', true);
  const waiter = book.enter('http://a.test/t', true);
  owner.settle!(null);
  assert.equal(await waiter.answer, null);
  assert.ok(book.enter('http://a.test/t', true).settle, 'the URL is free again');
});

void test('the URL a caller asked for is requested unless it is known to redirect; a tracking parameter makes another URL', async () => {
  const book = new RunHopBook();
  book.enter('http://a.test/p', true).settle!(final(200));
  const start = book.enter('http://a.test/p', false);
  assert.equal(await start.answer, null, 'requested: its body is wanted');
  assert.equal(start.settle, undefined, 'the known answer stays');
  const redirect: HopAnswer = { kind: 'redirect', status: 301, location: 'http://a.test/p' };
  book.enter('http://a.test/old', true).settle!(redirect);
  assert.deepEqual(await book.enter('http://a.test/old', false).answer, redirect, 'a redirect needs no body: its answer stands');
  assert.ok(book.enter('http://a.test/p?utm_source=x', true).settle, 'not the same request as /p');
});

void test('a hop unknown in this process is looked up in the frontier, only in its normalized form', async () => {
  const asked: string[] = [];
  const book = new RunHopBook(async (url) => (asked.push(url), final(200)));
  assert.deepEqual(await book.enter('http://a.test/done', true).answer, final(200));
  assert.equal(await book.enter('http://a.test/x?utm_source=y', true).answer, null);
  assert.equal(await book.enter('http://a.test/start', false).answer, null);
  assert.deepEqual(asked, ['http://a.test/done']);
});

void test('settled answers are bounded; answers in flight are kept', async () => {
  const book = new RunHopBook(null, 10);
  const inFlight = book.enter('http://a.test/slow', true);
  for (let i = 0; i < 30; i++) book.enter(`http://a.test/${i}`, true).settle!(final(200));
  assert.equal(book.enter('http://a.test/slow', true).settle, undefined, 'still in flight: callers wait for it');
  assert.ok(book.enter('http://a.test/0', true).settle, 'the oldest answers were dropped');
  assert.equal(book.enter('http://a.test/29', true).settle, undefined, 'the newest are kept');
  inFlight.settle!(null);
});

void test('a shelved record is taken once; the shelf is bounded', async () => {
  const shelf = new RecordShelf<number>(2);
  shelf.put('a', Promise.resolve(1));
  shelf.put('b', Promise.resolve(2));
  shelf.put('c', Promise.resolve(3));
  assert.equal(shelf.take('a'), undefined);
  assert.equal(await shelf.take('b'), 2);
  assert.equal(shelf.take('b'), undefined);
});
