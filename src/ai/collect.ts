// src/ai: AI recommendations. Which pages get a request (this file), the prompt and its answer schema (prompt.ts),
// the providers' batch APIs (providers/), splitting requests into provider batches (split.ts), the nightly schedule
// (schedule.ts). The job's rows are in src/db/repositories/aiJobs.ts; its activities in src/activities/ai.ts.
// Which pages of a finished run get a recommendation request: audited pages with findings (optionally only some
// severities or codes), in page order, capped. Shared by the collect activity and the API's dry run.
import { CHECKS } from '../audit/catalogue';
import { pagesForPrompts } from '../db/repositories/pages';
import type { Queryable } from '../db/repositories/queryable';
import { buildPrompt, estimateTokens, PROMPT_MAX_OUTPUT_TOKENS, type PagePromptInput } from './prompt';

export interface CollectFilters {
  severities?: string[];
  codes?: string[];
  maxPages?: number;
}

export interface CollectedPage {
  pageId: string;
  url: string;
  prompt: string;
}

// Keyed by any string: stored findings may carry a code from an older version, which then goes without explanation.
const EXPLAIN = new Map<string, string>(CHECKS.map((c) => [c.code, `${c.why} Fix: ${c.fix}`]));

export async function collectPages(db: Queryable, runId: string, f: CollectFilters): Promise<CollectedPage[]> {
  const rows = await pagesForPrompts(db, runId, 100_000);
  const out: CollectedPage[] = [];
  for (const r of rows) {
    const findings = (r.issues as PagePromptInput['findings']).filter(
      (i) => (!f.severities?.length || f.severities.includes(i.severity)) && (!f.codes?.length || f.codes.includes(i.code)),
    );
    if (findings.length === 0) continue;
    const input: PagePromptInput = {
      url: r.url, title: r.title, description: r.description, h1: r.h1, wordCount: r.word_count,
      findings: findings.map((i) => ({ ...i, explanation: EXPLAIN.get(i.code) })),
    };
    out.push({ pageId: String(r.id), url: r.url, prompt: buildPrompt(input) });
    if (f.maxPages && out.length >= f.maxPages) break;
  }
  return out;
}

export function estimate(pages: CollectedPage[]) {
  const inputTokens = pages.reduce((n, p) => n + estimateTokens(p.prompt), 0);
  // A typical structured answer is a third of the output budget.
  const outputTokens = pages.length * Math.round(PROMPT_MAX_OUTPUT_TOKENS / 3);
  return { inputTokens, outputTokens };
}
