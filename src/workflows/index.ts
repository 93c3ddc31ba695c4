// Bundle entry: every workflow the worker registers.
export { siteAuditWorkflow } from './siteAudit';
export { batchAuditWorkflow } from './batchAudit';
export { aiRecommendationsWorkflow } from './aiRecommendations';
export { nightlyWorkflow } from './nightly';
export { deliverEventWorkflow } from './events';
