// Typed search attribute keys: the Web UI and `temporal workflow list --query` filter runs on them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_AI_JOB_STATUS } from './aiContracts';
import { SEARCH_ATTRIBUTE_AUDIT_STAGE, SEARCH_ATTRIBUTE_SITE_HOST } from './contracts';

export const SiteHostKey = defineSearchAttributeKey(SEARCH_ATTRIBUTE_SITE_HOST, SearchAttributeType.KEYWORD);
export const AuditStageKey = defineSearchAttributeKey(SEARCH_ATTRIBUTE_AUDIT_STAGE, SearchAttributeType.KEYWORD);
/** The lifecycle state of an AI recommendations job (collecting → submitting → processing → completed | failed | cancelled). */
export const AiJobStatusKey = defineSearchAttributeKey(SEARCH_ATTRIBUTE_AI_JOB_STATUS, SearchAttributeType.KEYWORD);
