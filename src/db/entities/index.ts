import { AuditBatch } from './AuditBatch';
import { AuditRun } from './AuditRun';
import { FrontierEntry } from './FrontierEntry';
import { PageAudit } from './PageAudit';
import { PageLink } from './PageLink';

export { AuditBatch, AuditRun, FrontierEntry, PageAudit, PageLink };
export const entities = [AuditRun, PageAudit, PageLink, FrontierEntry, AuditBatch];
