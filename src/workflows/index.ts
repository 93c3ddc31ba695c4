// src/workflows: deterministic code only (lint-enforced: no Node built-ins, no I/O, values only from here,
// audit/records and alerts/redact). siteAudit.ts runs one site, batchAudit.ts many, aiRecommendations.ts an AI job,
// nightly.ts the schedule's work, events.ts webhook delivery, closers.ts the children that write a row's end once its
// workflow has closed; contracts.ts and aiContracts.ts are their shared types.
// This file is the bundle entry: every workflow the worker registers.
export { siteAuditWorkflow } from './siteAudit';
export { batchAuditWorkflow } from './batchAudit';
export { aiRecommendationsWorkflow } from './aiRecommendations';
export { nightlyWorkflow } from './nightly';
export { deliverEventWorkflow } from './events';
export { aiJobCloserWorkflow, batchCloserWorkflow, runCloserWorkflow } from './closers';
