// Request schemas (zod). The API validates with them; the OpenAPI description is generated from them too.
import { z } from 'zod';
import { thresholdsSchema } from '../audit/thresholds';

const httpUrl = z
  .string({ error: 'must be a string' })
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');

const int = (min: number, max: number) => z.number({ error: 'must be a number' }).int('must be an integer').min(min, `must be >= ${min}`).max(max, `must be <= ${max}`);
const patterns = z.array(z.string().min(1).max(500), { error: 'must be an array of strings' }).max(50, 'at most 50 patterns');

export const runOptionsSchema = z
  .object({
    maxPages: int(1, 100_000),
    maxDepth: int(0, 100),
    include: patterns,
    exclude: patterns,
    respectRobots: z.boolean({ error: 'must be a boolean' }),
    useSitemaps: z.boolean({ error: 'must be a boolean' }),
    sitemaps: z.array(httpUrl).max(20, 'at most 20 sitemaps'),
    followLinks: z.boolean({ error: 'must be a boolean' }),
    subdomainsInternal: z.boolean({ error: 'must be a boolean' }),
    auditBatchSize: int(1, 200),
    parallelBatches: int(1, 32),
    persistBatchSize: int(1, 500),
    perHostConcurrency: int(1, 32),
    requestTimeoutMs: int(100, 120_000),
    fetchRetries: int(0, 5),
    fetchRetryBaseMs: int(1, 60_000),
    userAgent: z.string().min(1).max(300),
    crawlDelayMs: int(0, 60_000),
    thresholds: thresholdsSchema,
  })
  .partial()
  .strict();

export const startRunSchema = z
  .object({
    url: httpUrl,
    idempotencyKey: z
      .string({ error: 'must be a string' })
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9._~-]+$/, 'may contain only letters, digits, ".", "_", "~" and "-"')
      .optional(),
    /** Run again under the same idempotencyKey after the previous run closed: same rows, updated in place. */
    rerun: z.boolean({ error: 'must be a boolean' }).optional(),
    options: runOptionsSchema.optional(),
  })
  .strict();

export type StartRunBody = z.infer<typeof startRunSchema>;

export const runIdParamSchema = z.object({
  id: z.string().min(1).max(300).regex(/^[A-Za-z0-9:._~-]+$/, 'is not a valid run id'),
});

export const listPagesQuerySchema = z
  .object({
    status: z.enum(['ok', 'failed']).optional(),
    code: z.string().regex(/^[a-z0-9_]+$/, 'is not an issue code').max(100).optional(),
    statusCode: z.coerce.number().int().min(0).max(999).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().regex(/^[0-9]+$/, 'is not a valid cursor').max(20).optional(),
  })
  .strict();

export const listRunsQuerySchema = z
  .object({
    status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']).optional(),
    site: z.string().max(300).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
