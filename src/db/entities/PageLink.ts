import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'page_links' })
export class PageLink {
  // No surrogate key or unique constraint in the table (migration 1700000015000): (run, from, to) is unique because
  // only the transaction that completes the source page writes its links.
  @PrimaryColumn({ name: 'run_id', type: 'uuid' }) runId!: string;
  @PrimaryColumn({ name: 'from_hash', type: 'text' }) fromHash!: string;
  @PrimaryColumn({ name: 'to_hash', type: 'text' }) toHash!: string;
  @Column({ name: 'to_url', type: 'text' }) toUrl!: string;
  @Column({ name: 'anchor_text', type: 'text' }) anchorText!: string;
  @Column({ type: 'boolean' }) nofollow!: boolean;
}
