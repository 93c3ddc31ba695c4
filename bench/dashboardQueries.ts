// Times the dashboard's read queries (src/api/explore.ts) on a synthetic 100k-page run with 200k links, in a fresh
// embedded PostgreSQL: pages sorted by several columns (first page with its count, and a cursor page), filters, one
// page's detail, inlinks of a page with 100k inlinks, and the history's health score. `npx tsx bench/dashboardQueries.ts`
import { openDatabase } from '../src/db/dataSource';
import { startLocalPostgres } from '../src/stack';
import { listPages, pageDetail, pageLinks, siteHistory } from '../src/api/explore';
import { listPagesQuerySchema } from '../src/api/schemas';
import { urlHash } from '../src/audit/url';

async function main() {
  const pg = await startLocalPostgres({ relaxedDurability: true });
  const db = await openDatabase({ url: pg.url, migrate: true, poolSize: 4 });
  try {
    const [{ id: runId }] = await db.query(`INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, status, finished_at) VALUES ('w', 'k', 'https://big.example/', 'big.example', 'completed', now()) RETURNING id`);
    const t = Date.now();
    await db.query(`INSERT INTO page_audits (run_id, url_hash, url, status, status_code, depth, title, description, h1, indexable, word_count, duration_ms, ttfb_ms, bytes, issues)
      SELECT $1, md5(i::text), 'https://big.example/p/' || i, CASE WHEN i % 97 = 0 THEN 'failed' ELSE 'ok' END, CASE WHEN i % 50 = 0 THEN 404 ELSE 200 END, i % 7,
             CASE WHEN i % 31 = 0 THEN NULL ELSE 'Title of page ' || i END, 'Description ' || i, 'H1 ' || i, i % 13 <> 0, 200 + i % 900, 20 + i % 500, 5 + i % 100, 20000 + i % 9000,
             CASE WHEN i % 31 = 0 THEN '[{"code":"title_missing","severity":"critical"},{"code":"http_page","severity":"warning"}]'::jsonb ELSE '[{"code":"http_page","severity":"warning"}]'::jsonb END
        FROM generate_series(1, 100000) i`, [runId]);
    await db.query(`INSERT INTO page_links (run_id, from_hash, to_hash, to_url, anchor_text)
      SELECT $1::uuid, md5(i::text), md5(((i * 7919) % 100000 + 1)::text), 'https://big.example/p/' || ((i * 7919) % 100000 + 1), 'link ' || i FROM generate_series(1, 100000) i WHERE (i * 7919) % 100000 + 1 <> 1
      UNION ALL SELECT $1::uuid, md5(i::text), md5('1'), 'https://big.example/p/1', 'home' FROM generate_series(2, 100000) i`, [runId]);
    for (const i of [1, 5]) {
      const h = urlHash(`https://big.example/p/${i}`);
      await db.query(`UPDATE page_audits SET url_hash = $2 WHERE run_id = $1 AND url_hash = md5($3)`, [runId, h, String(i)]);
      await db.query(`UPDATE page_links SET to_hash = $2 WHERE run_id = $1 AND to_hash = md5($3)`, [runId, h, String(i)]);
      await db.query(`UPDATE page_links SET from_hash = $2 WHERE run_id = $1 AND from_hash = md5($3)`, [runId, h, String(i)]);
    }
    await db.query('ANALYZE');
    console.log('seeded', Date.now() - t, 'ms');
    const time = async (label: string, fn: () => Promise<unknown>) => {
      await fn();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 3; i++) await fn();
      console.log(label.padEnd(50), (Number(process.hrtime.bigint() - t0) / 3e6).toFixed(1), 'ms');
    };
    const q = (o: Record<string, string>) => listPagesQuerySchema.parse(o);
    for (const sort of ['id', 'url', 'title', 'responseTime', 'findings']) {
      await time(`pages sort=${sort} first page`, () => listPages(db, runId, q({ sort })));
      const first = await listPages(db, runId, q({ sort, order: 'desc' }));
      await time(`pages sort=${sort} desc, 2nd page (cursor)`, () => listPages(db, runId, q({ sort, order: 'desc', cursor: first.nextCursor! })));
    }
    await time('pages statusClass=4xx sort=title', () => listPages(db, runId, q({ statusClass: '4xx', sort: 'title' })));
    await time('pages code=title_missing sort=wordCount', () => listPages(db, runId, q({ code: 'title_missing', sort: 'wordCount' })));
    await time('pages severity=critical', () => listPages(db, runId, q({ severity: 'critical' })));
    await time('pages q=page 777', () => listPages(db, runId, q({ q: 'page 777' })));
    await time('page detail /p/1', () => pageDetail(db, runId, 'https://big.example/p/1'));
    const inl = await pageLinks(db, runId, 'https://big.example/p/1', 'in', 50, undefined);
    await time('inlinks of /p/1 (100k inlinks) first page', () => pageLinks(db, runId, 'https://big.example/p/1', 'in', 50, undefined));
    await time('inlinks of /p/1 next page', () => pageLinks(db, runId, 'https://big.example/p/1', 'in', 50, inl.nextCursor!));
    await time('outlinks of /p/5', () => pageLinks(db, runId, 'https://big.example/p/5', 'out', 50, undefined));
    const h0 = Date.now();
    await siteHistory(db, { site_host: 'big.example' }, 20);
    console.log('history, first (uncached) call', Date.now() - h0, 'ms');
    await time('history (health of one 100k run, uncached first)', () => siteHistory(db, { site_host: 'big.example' }, 20));
  } finally {
    await db.destroy();
    await pg.stop();
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
