// The one prompt template of the AI recommendations, and the zod schema its answer must satisfy.
// Pure: no I/O. A page's findings go in; the answer comes back as JSON text that parseAnswer validates.
import { createHash } from 'node:crypto';
import { z } from 'zod';

export interface PagePromptInput {
  url: string;
  title: string | null;
  description: string | null;
  h1: string | null;
  wordCount: number | null;
  findings: Array<{ code: string; severity: string; detail?: string; explanation?: string }>;
}

export const answerSchema = z.object({
  suggestedTitle: z.string().min(1).max(200),
  suggestedDescription: z.string().min(1).max(400),
  fixes: z
    .array(z.object({ priority: z.number().int().min(1), code: z.string().min(1).max(100), fix: z.string().min(1).max(2000) }))
    .min(1)
    .max(50),
});
export type Answer = z.infer<typeof answerSchema>;

export const PROMPT_MAX_OUTPUT_TOKENS = 1024;

export function buildPrompt(p: PagePromptInput): string {
  const findings = p.findings
    .map((f) => `- ${f.code} (${f.severity})${f.detail ? `: ${f.detail}` : ''}${f.explanation ? ` — ${f.explanation}` : ''}`)
    .join('\n');
  return [
    'You are an SEO editor. Rewrite weak metadata and explain how to fix the findings of one web page.',
    `URL: ${p.url}`,
    `Title: ${p.title ?? '(none)'}`,
    `Meta description: ${p.description ?? '(none)'}`,
    `H1: ${p.h1 ?? '(none)'}`,
    `Word count: ${p.wordCount ?? 'unknown'}`,
    'Findings:',
    findings,
    '',
    'Answer with one JSON object only, no prose and no code fence, of this shape:',
    '{"suggestedTitle": string (50-60 characters), "suggestedDescription": string (120-155 characters),',
    ' "fixes": [{"priority": 1, "code": "<finding code>", "fix": "<what to change, concretely>"}, …] (most important first)}',
  ].join('\n');
}

export const promptHash = (prompt: string) => createHash('sha256').update(prompt).digest('hex').slice(0, 32);

/** Validates a model's answer; a code fence around the JSON is tolerated (models add one despite being asked not to). */
export function parseAnswer(text: string): { ok: true; value: Answer } | { ok: false; error: string } {
  const trimmed = text.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '');
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { ok: false, error: `answer is not JSON: ${trimmed.slice(0, 120)}` };
  }
  const r = answerSchema.safeParse(json);
  if (!r.success) return { ok: false, error: `answer does not match the schema: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ').slice(0, 500)}` };
  return { ok: true, value: { ...r.data, fixes: [...r.data.fixes].sort((a, b) => a.priority - b.priority) } };
}

/** Rough token estimate (≈4 characters a token), for dry runs and cost estimates before the provider counts. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);
