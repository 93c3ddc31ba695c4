// `npm run eval:checks`: precision and recall of Sitesweep's findings on the edge-case fixture site
// (test/fixtures/seoSite.ts: boundary values, near-miss negatives, targets outside the crawl), measured against the
// ground truth in scripts/eval/checks-truth.json, per finding kind and overall. Brings up the same local stack as the
// tests (Temporal dev server, embedded PostgreSQL), runs one audit through the API, compares (url, code) pairs: page
// findings per page, site findings once per affected page. `-- --write-truth` rewrites the JSON's positives from the
// fixture's own truth (SEO_PAGE_TRUTH, SEO_SITE_TRUTH), keeping its hand-written negatives.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../src/logger';
import { formatScore, scoreFindings, type GroundTruth, type Pair } from './eval/score';
import { startTestStack } from './testStack';

const TRUTH_FILE = path.join(__dirname, 'eval', 'checks-truth.json');

async function fixtureTruth(): Promise<Pair[]> {
  const { SEO_PAGE_TRUTH, SEO_SITE_TRUTH } = await import('../test/fixtures/seoSite.js');
  const pairs: Pair[] = [];
  for (const [url, t] of Object.entries(SEO_PAGE_TRUTH)) for (const code of t.codes ?? []) pairs.push([url, code]);
  for (const [code, groups] of Object.entries(SEO_SITE_TRUTH)) for (const g of groups) for (const url of g.pages) pairs.push([url, code]);
  const seen = new Set<string>();
  return pairs.filter(([u, c]) => !seen.has(`${u} ${c}`) && !!seen.add(`${u} ${c}`)).sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
}

async function main(): Promise<number> {
  const truth = JSON.parse(readFileSync(TRUTH_FILE, 'utf8')) as GroundTruth;
  if (process.argv.includes('--write-truth')) {
    const next: GroundTruth = { ...truth, positives: await fixtureTruth() };
    writeFileSync(TRUTH_FILE, `${JSON.stringify(next, null, 1).replace(/\[\n\s+"([^"\n]*)",\n\s+"([^"\n]*)"(,\n\s+"([^"\n]*)")?\n\s+\]/g, (_m, a, b, _c, d) => `[${JSON.stringify(a)}, ${JSON.stringify(b)}${d !== undefined ? `, ${JSON.stringify(d)}` : ''}]`)}\n`);
    console.log(`${TRUTH_FILE}: ${next.positives.length} positives, ${next.negatives.length} negatives`);
    return 0;
  }

  const log = createLogger(process.env.LOG_LEVEL ?? 'warn', 'eval-checks');
  const stack = await startTestStack(log);
  try {
    // The tests' helpers run the worker, the API and a fresh database on this stack.
    process.env.SITESWEEP_TEST_TEMPORAL_ADDRESS = stack.temporalAddress;
    process.env.SITESWEEP_TEST_PG_ADMIN_URL = stack.pgAdminUrl;
    process.env.WORKFLOW_BUNDLE_PATH = stack.workflowBundlePath;
    const { createTestDatabase, startServices, testConfig, waitFor } = await import('../test/helpers/stack.js');
    const { CREDENTIALS, startSeoFixture } = await import('../test/fixtures/seoSite.js');
    const { readSiteIssues } = await import('../src/db/repositories/siteIssues.js');

    const site = await startSeoFixture();
    const tdb = await createTestDatabase('eval');
    const services = await startServices(testConfig({ SECRETS_KEY: 'eval-checks-secrets-key-0123456789abcdef' }), tdb.db);
    try {
      // The options of the "exact findings per page" test (test/e2e/seoDepth.test.ts), which the fixture's truth describes.
      const options = {
        requestTimeoutMs: 3000, fetchRetries: 1, fetchRetryBaseMs: 50, auditBatchSize: 10, parallelBatches: 2, maxPages: 200,
        exclude: ['/excluded'], stripParams: ['sessionid'], checkExternalLinks: true, sitemaps: [`${site.origin}/extra-sitemap.xml`],
        auth: CREDENTIALS.auth, cookies: CREDENTIALS.cookies, headers: CREDENTIALS.headers,
      };
      const post = await fetch(`${services.api.url}/api/runs`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: site.origin, options }),
      });
      const started = (await post.json()) as { runId: string };
      if (post.status !== 202) throw new Error(`POST /api/runs: ${post.status} ${JSON.stringify(started)}`);
      const t0 = Date.now();
      const done = await waitFor(async () => {
        const r = (await (await fetch(`${services.api.url}/api/runs/${started.runId}`)).json()) as { status: string; error?: unknown };
        return ['completed', 'failed', 'cancelled'].includes(r.status) ? r : null;
      }, 180_000, 300);
      if (done.status !== 'completed') throw new Error(`run ${done.status}: ${JSON.stringify(done.error)}`);
      const rel = (url: string) => (url.startsWith(site.origin) ? url.slice(site.origin.length) : url.replace(site.externalOrigin, '{ext}'));

      const reported: Pair[] = [];
      const pages: Array<{ url: string; issues: Array<{ code: string }> }> = await tdb.db.query(`SELECT url, issues FROM page_audits WHERE run_id = $1`, [started.runId]);
      for (const p of pages) for (const i of p.issues ?? []) reported.push([rel(p.url), i.code]);
      for (const issue of await readSiteIssues(tdb.db, started.runId)) for (const u of issue.pages) reported.push([rel(u), issue.code]);

      const score = scoreFindings(truth, reported);
      console.log(`${truth.fixture}: ${pages.length} pages audited in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${truth.positives.length} expected findings, ${truth.negatives.length} near-miss negatives\n`);
      console.log(formatScore(score));
      console.log(`\nprecision ${score.overall.precision.toFixed(3)}  recall ${score.overall.recall.toFixed(3)}`);
      return 0;
    } finally {
      await services.stop();
      await tdb.close();
      await site.close();
    }
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
