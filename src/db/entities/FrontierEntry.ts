import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'frontier' })
export class FrontierEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'url_hash', type: 'text' }) urlHash!: string;
  @Column({ type: 'text' }) url!: string;
  @Column({ type: 'int' }) depth!: number;
  @Column({ type: 'text' }) source!: 'seed' | 'sitemap' | 'link';
  @Column({ name: 'in_sitemap', type: 'boolean' }) inSitemap!: boolean;
  @Column({ type: 'text' }) status!: 'queued' | 'claimed' | 'done';
  @Column({ name: 'claim_token', type: 'text', nullable: true }) claimToken!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
