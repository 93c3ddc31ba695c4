import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'page_links' })
export class PageLink {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'from_hash', type: 'text' }) fromHash!: string;
  @Column({ name: 'to_hash', type: 'text' }) toHash!: string;
  @Column({ name: 'to_url', type: 'text' }) toUrl!: string;
  @Column({ name: 'anchor_text', type: 'text' }) anchorText!: string;
  @Column({ type: 'boolean' }) nofollow!: boolean;
}
