// Case-insensitive comparisons in SQL know Unicode on the stack the tests (and the CLI's local stack) run: duplicate
// titles and H2s that differ only in an accented capital are one group, and the page table's text search finds an
// accented title typed in lower case. Rows are written directly (no crawl); the checks are the summarize step's own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { duplicateTitle } from '../../src/db/siteChecks/duplicates';
import { duplicateH2 } from '../../src/db/siteChecks/headings';
import { pageTable } from '../../src/db/repositories/pages';
import { createTestDatabase, type TestDb } from '../helpers/stack';

describe('Unicode case in the site checks and the page search', () => {
  let tdb: TestDb;
  let runId: string;

  before(async () => {
    tdb = await createTestDatabase('fold');
    const [run] = await tdb.db.query(
      `INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, status, stage, execution_id, started_at)
       VALUES ('site-audit:fold', 'fold', 'http://fold.test/', 'fold.test', 'running', 'summarizing', 'exec-fold', now()) RETURNING id`,
    );
    runId = run.id;
    const pages: Array<[string, string, string | null]> = [
      ['/a', 'Café à Paris', 'Écoles du quartier'],
      ['/b', 'CAFÉ À PARIS', 'ÉCOLES DU QUARTIER'],
      ['/c', 'Café à Lyon', 'Écoles de Lyon'],
      ['/d', 'Straße', null],
    ];
    for (const [p, title, h2] of pages) {
      await tdb.db.query(
        `INSERT INTO page_audits (run_id, execution_id, url_hash, url, status, status_code, depth, title, indexable, noindex, lang, data)
         VALUES ($1, 'exec-fold', md5($2), $2, 'ok', 200, 1, $3, true, false, 'fr', $4)`,
        [runId, `http://fold.test${p}`, title, JSON.stringify(h2 === null ? {} : { h2 })],
      );
    }
  });

  after(async () => {
    await tdb?.close();
  });

  void test('duplicate_title and duplicate_h2 group values that differ only in accented capitals', async () => {
    const titles = await duplicateTitle.run(tdb.db, runId);
    assert.deepEqual(titles.map((t) => t.pages), [['http://fold.test/a', 'http://fold.test/b']]);
    const h2s = await duplicateH2.run(tdb.db, runId);
    assert.deepEqual(h2s.map((t) => t.pages), [['http://fold.test/a', 'http://fold.test/b']]);
  });

  void test('the page table\'s text search is case-insensitive beyond ASCII', async () => {
    const { rows } = await pageTable(tdb.db, runId, { q: 'café à paris', sort: 'url', order: 'asc', limit: 10 });
    assert.deepEqual(rows.map((r) => r.url), ['http://fold.test/a', 'http://fold.test/b']);
  });
});
