import type { MigrationInterface, QueryRunner } from 'typeorm';

// The first schema. Unique keys are what make retries and replays safe: every write is an upsert on one of them.
export class InitialSchema1700000000000 implements MigrationInterface {
  name = 'InitialSchema1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_batches (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workflow_id text NOT NULL UNIQUE,
        idempotency_key text,
        status text NOT NULL DEFAULT 'queued',
        domains jsonb NOT NULL DEFAULT '[]',
        domain_statuses jsonb NOT NULL DEFAULT '{}',
        options jsonb NOT NULL DEFAULT '{}',
        metadata jsonb NOT NULL DEFAULT '{}',
        total_domains int NOT NULL DEFAULT 0,
        completed_domains int NOT NULL DEFAULT 0,
        failed_domains int NOT NULL DEFAULT 0,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE audit_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workflow_id text NOT NULL UNIQUE,
        run_key text NOT NULL,
        site_url text NOT NULL,
        site_host text NOT NULL,
        status text NOT NULL DEFAULT 'queued',
        stage text NOT NULL DEFAULT 'queued',
        options jsonb NOT NULL DEFAULT '{}',
        execution_id text,
        discovered int NOT NULL DEFAULT 0,
        audited int NOT NULL DEFAULT 0,
        failed int NOT NULL DEFAULT 0,
        persisted int NOT NULL DEFAULT 0,
        summary jsonb,
        error text,
        robots_txt text,
        robots_status int,
        batch_id uuid REFERENCES audit_batches(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX audit_runs_site_idx ON audit_runs (site_host, created_at DESC)`);
    await q.query(`CREATE INDEX audit_runs_status_idx ON audit_runs (status)`);
    await q.query(`CREATE INDEX audit_runs_batch_idx ON audit_runs (batch_id)`);
    await q.query(`
      CREATE TABLE page_audits (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES audit_runs(id) ON DELETE CASCADE,
        url_hash text NOT NULL,
        url text NOT NULL,
        final_url text,
        status text NOT NULL,
        status_code int,
        content_type text,
        ttfb_ms int,
        duration_ms int,
        bytes int,
        depth int NOT NULL DEFAULT 0,
        title text,
        description text,
        h1 text,
        h1_count int,
        canonical text,
        indexable boolean,
        noindex boolean,
        word_count int,
        lang text,
        content_hash text,
        simhash text,
        issues jsonb NOT NULL DEFAULT '[]',
        redirect_chain jsonb NOT NULL DEFAULT '[]',
        data jsonb NOT NULL DEFAULT '{}',
        failure_reason text,
        failure_detail text,
        attempts int NOT NULL DEFAULT 1,
        execution_id text,
        audited_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT page_audits_run_url_uq UNIQUE (run_id, url_hash)
      )`);
    await q.query(`CREATE INDEX page_audits_run_status_idx ON page_audits (run_id, status)`);
    await q.query(`CREATE INDEX page_audits_issues_idx ON page_audits USING gin (issues jsonb_path_ops)`);
    await q.query(`
      CREATE TABLE page_links (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES audit_runs(id) ON DELETE CASCADE,
        from_hash text NOT NULL,
        to_hash text NOT NULL,
        to_url text NOT NULL,
        anchor_text text NOT NULL DEFAULT '',
        nofollow boolean NOT NULL DEFAULT false,
        CONSTRAINT page_links_uq UNIQUE (run_id, from_hash, to_hash)
      )`);
    await q.query(`CREATE INDEX page_links_to_idx ON page_links (run_id, to_hash)`);
    await q.query(`
      CREATE TABLE frontier (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES audit_runs(id) ON DELETE CASCADE,
        url_hash text NOT NULL,
        url text NOT NULL,
        depth int NOT NULL,
        source text NOT NULL,
        in_sitemap boolean NOT NULL DEFAULT false,
        status text NOT NULL DEFAULT 'queued',
        claim_token text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT frontier_run_url_uq UNIQUE (run_id, url_hash)
      )`);
    await q.query(`CREATE INDEX frontier_queue_idx ON frontier (run_id, status, depth, id)`);
    await q.query(`CREATE INDEX frontier_claim_idx ON frontier (run_id, claim_token)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS frontier, page_links, page_audits, audit_runs, audit_batches`);
  }
}
