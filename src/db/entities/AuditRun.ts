import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { RunSummary } from '../../workflows/contracts';

@Entity({ name: 'audit_runs' })
export class AuditRun {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'workflow_id', type: 'text', unique: true }) workflowId!: string;
  @Column({ name: 'run_key', type: 'text' }) runKey!: string;
  @Column({ name: 'site_url', type: 'text' }) siteUrl!: string;
  @Column({ name: 'site_host', type: 'text' }) siteHost!: string;
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'text' }) stage!: string;
  @Column({ type: 'jsonb' }) options!: Record<string, unknown>;
  @Column({ name: 'execution_id', type: 'text', nullable: true }) executionId!: string | null;
  @Column({ type: 'int' }) discovered!: number;
  @Column({ type: 'int' }) audited!: number;
  @Column({ type: 'int' }) failed!: number;
  @Column({ type: 'int' }) persisted!: number;
  @Column({ type: 'jsonb', nullable: true }) summary!: RunSummary | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ name: 'robots_txt', type: 'text', nullable: true }) robotsTxt!: string | null;
  @Column({ name: 'robots_status', type: 'int', nullable: true }) robotsStatus!: number | null;
  /** URLs listed by more than one sitemap, with those sitemaps (capped; site finding sitemap_multiple). */
  @Column({ name: 'sitemap_duplicates', type: 'jsonb', nullable: true }) sitemapDuplicates!: Array<{ url: string; sitemaps: string[] }> | null;
  @Column({ name: 'batch_id', type: 'uuid', nullable: true }) batchId!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}
