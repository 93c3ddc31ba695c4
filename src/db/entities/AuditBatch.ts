import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'audit_batches' })
export class AuditBatch {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'workflow_id', type: 'text', unique: true }) workflowId!: string;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey!: string | null;
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'jsonb' }) domains!: string[];
  @Column({ name: 'domain_statuses', type: 'jsonb' }) domainStatuses!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) options!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) metadata!: Record<string, unknown>;
  @Column({ name: 'total_domains', type: 'int' }) totalDomains!: number;
  @Column({ name: 'completed_domains', type: 'int' }) completedDomains!: number;
  @Column({ name: 'failed_domains', type: 'int' }) failedDomains!: number;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}
