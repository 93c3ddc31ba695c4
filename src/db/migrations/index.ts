import { InitialSchema1700000000000 } from './1700000000000-InitialSchema';
import { ExternalLinks1700000005000 } from './1700000005000-ExternalLinks';
import { PageAuditedAtIndex1700000006000 } from './1700000006000-PageAuditedAtIndex';
import { StreamingFrontier1700000007000 } from './1700000007000-StreamingFrontier';
import { SiteIssues1700000008000 } from './1700000008000-SiteIssues';
import { HostSlots1700000009000 } from './1700000009000-HostSlots';
import { AiBatches1700000010000 } from './1700000010000-AiBatches';
import { AiProviderBatches1700000011000 } from './1700000011000-AiProviderBatches';
import { SitemapDuplicates1700000013000 } from './1700000013000-SitemapDuplicates';
import { LeanPageLinks1700000015000 } from './1700000015000-LeanPageLinks';
import { ImageSizes1700000016000 } from './1700000016000-ImageSizes';
import { NofollowLinksIndex1700000017000 } from './1700000017000-NofollowLinksIndex';
import { LinkFindingTargets1700000018000 } from './1700000018000-LinkFindingTargets';

/** Every migration, in order. New ones are appended here (typeorm runs the pending ones). */
export const migrations = [
  InitialSchema1700000000000,
  ExternalLinks1700000005000,
  PageAuditedAtIndex1700000006000,
  StreamingFrontier1700000007000,
  SiteIssues1700000008000,
  HostSlots1700000009000,
  AiBatches1700000010000,
  AiProviderBatches1700000011000,
  SitemapDuplicates1700000013000,
  LeanPageLinks1700000015000,
  ImageSizes1700000016000,
  NofollowLinksIndex1700000017000,
  LinkFindingTargets1700000018000,
];
