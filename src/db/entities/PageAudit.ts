import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Finding, RedirectHop } from '../../audit/types';

@Entity({ name: 'page_audits' })
export class PageAudit {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'url_hash', type: 'text' }) urlHash!: string;
  @Column({ type: 'text' }) url!: string;
  @Column({ name: 'final_url', type: 'text', nullable: true }) finalUrl!: string | null;
  /** 'ok' when the page was fetched and checked, 'failed' when it could not be (see failureReason). */
  @Column({ type: 'text' }) status!: 'ok' | 'failed';
  @Column({ name: 'status_code', type: 'int', nullable: true }) statusCode!: number | null;
  @Column({ name: 'content_type', type: 'text', nullable: true }) contentType!: string | null;
  @Column({ name: 'ttfb_ms', type: 'int', nullable: true }) ttfbMs!: number | null;
  @Column({ name: 'duration_ms', type: 'int', nullable: true }) durationMs!: number | null;
  @Column({ type: 'int', nullable: true }) bytes!: number | null;
  @Column({ type: 'int' }) depth!: number;
  @Column({ type: 'text', nullable: true }) title!: string | null;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column({ type: 'text', nullable: true }) h1!: string | null;
  @Column({ name: 'h1_count', type: 'int', nullable: true }) h1Count!: number | null;
  @Column({ type: 'text', nullable: true }) canonical!: string | null;
  @Column({ type: 'boolean', nullable: true }) indexable!: boolean | null;
  @Column({ type: 'boolean', nullable: true }) noindex!: boolean | null;
  @Column({ name: 'word_count', type: 'int', nullable: true }) wordCount!: number | null;
  @Column({ type: 'text', nullable: true }) lang!: string | null;
  @Column({ name: 'content_hash', type: 'text', nullable: true }) contentHash!: string | null;
  @Column({ type: 'text', nullable: true }) simhash!: string | null;
  @Column({ type: 'jsonb' }) issues!: Finding[];
  @Column({ name: 'redirect_chain', type: 'jsonb' }) redirectChain!: RedirectHop[];
  @Column({ type: 'jsonb' }) data!: Record<string, unknown>;
  @Column({ name: 'failure_reason', type: 'text', nullable: true }) failureReason!: string | null;
  @Column({ name: 'failure_detail', type: 'text', nullable: true }) failureDetail!: string | null;
  @Column({ type: 'int' }) attempts!: number;
  @Column({ name: 'execution_id', type: 'text', nullable: true }) executionId!: string | null;
  @Column({ name: 'audited_at', type: 'timestamptz' }) auditedAt!: Date;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
