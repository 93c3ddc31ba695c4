import type { MigrationInterface, QueryRunner } from 'typeorm';

// Full site-level findings per run, out of audit_runs.summary: a 100k-page run's lists were 33 MB of summary and of
// workflow result (over the gRPC limit, so summarize retried forever). The summary keeps counts and the top entries;
// report, exports and comparison read the lists here. Existing summaries' lists are copied in.
export class SiteIssues1700000008000 implements MigrationInterface {
  name = 'SiteIssues1700000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE site_issues (
        run_id uuid NOT NULL REFERENCES audit_runs(id) ON DELETE CASCADE,
        ordinal int NOT NULL,
        code text NOT NULL,
        severity text NOT NULL,
        count int NOT NULL,
        detail text,
        pages jsonb NOT NULL,
        n_pages int NOT NULL,
        sources jsonb,
        sources_count int,
        PRIMARY KEY (run_id, ordinal)
      )`);
    await q.query(`CREATE INDEX site_issues_run_code_idx ON site_issues (run_id, code, ordinal)`);
    await q.query(`
      INSERT INTO site_issues (run_id, ordinal, code, severity, count, detail, pages, n_pages, sources)
      SELECT r.id, (e.ord - 1)::int, e.v->>'code', coalesce(e.v->>'severity', 'warning'),
             coalesce((e.v->>'count')::int, jsonb_array_length(coalesce(e.v->'pages', '[]'::jsonb))), e.v->>'detail',
             coalesce(e.v->'pages', '[]'::jsonb), jsonb_array_length(coalesce(e.v->'pages', '[]'::jsonb)), e.v->'sources'
        FROM audit_runs r
       CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.summary->'siteIssues') = 'array' THEN r.summary->'siteIssues' ELSE '[]'::jsonb END)
             WITH ORDINALITY e(v, ord)
       WHERE jsonb_typeof(e.v->'pages') = 'array' AND e.v ? 'code'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS site_issues`);
  }
}
