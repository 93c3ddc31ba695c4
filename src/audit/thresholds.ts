// Numeric limits of the per-page checks. Defaults follow Screaming Frog's published limits where it has
// one (title/description chars and pixels, H1, words, URL length, page size) and SEOnaut's elsewhere
// (TTFB, DOM nodes, links, alt text). Every one can be overridden per run.
import { z } from 'zod';

export interface Thresholds {
  /** Title shorter than this many characters: title_too_short. */
  readonly titleMinChars: number;
  /** Title longer than this: title_too_long. */
  readonly titleMaxChars: number;
  /** Estimated width in Arial 20px (results-page title font) above this: title_too_wide. */
  readonly titleMaxPx: number;
  readonly descriptionMinChars: number;
  readonly descriptionMaxChars: number;
  /** Estimated width in Arial 14px (results-page snippet font) above this: description_too_wide. */
  readonly descriptionMaxPx: number;
  readonly h1MaxChars: number;
  /** Longest H2 above this many characters: h2_too_long. */
  readonly h2MaxChars: number;
  /** Flesch reading ease of English main text below this: readability_difficult (Screaming Frog: < 30 very difficult). */
  readonly fleschMinScore: number;
  /** Fewer main-content words than this: thin_content. */
  readonly thinContentWords: number;
  /** Time to first byte above this: slow_response. */
  readonly slowResponseMs: number;
  readonly maxPageBytes: number;
  /** Element nodes in the document. */
  readonly maxDomNodes: number;
  readonly imgAltMaxChars: number;
  /** Distinct outlink URLs (internal and external). */
  readonly maxLinks: number;
  readonly urlMaxChars: number;
  /** More redirect hops than this before the final response: redirect_chain. */
  readonly redirectChainMaxHops: number;
  /** Image file size above this many bytes (site-level, when checkImageSizes is on): image_too_large. */
  readonly imageMaxBytes: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  titleMinChars: 30,
  titleMaxChars: 60,
  titleMaxPx: 561,
  descriptionMinChars: 70,
  descriptionMaxChars: 155,
  descriptionMaxPx: 985,
  h1MaxChars: 70,
  h2MaxChars: 70,
  fleschMinScore: 30,
  thinContentWords: 200,
  slowResponseMs: 800,
  maxPageBytes: 2_000_000,
  maxDomNodes: 1500,
  imgAltMaxChars: 100,
  maxLinks: 100,
  urlMaxChars: 115,
  redirectChainMaxHops: 1,
  // Screaming Frog's "over 100 KB" (SEOnaut: 500,000 bytes).
  imageMaxBytes: 102_400,
});

const limit = z.number().positive().finite().optional();

/** A partial override of the defaults, as accepted from API/CLI input: unknown keys are refused. */
export const thresholdsSchema = z
  .object({
    titleMinChars: limit,
    titleMaxChars: limit,
    titleMaxPx: limit,
    descriptionMinChars: limit,
    descriptionMaxChars: limit,
    descriptionMaxPx: limit,
    h1MaxChars: limit,
    h2MaxChars: limit,
    fleschMinScore: limit,
    thinContentWords: limit,
    slowResponseMs: limit,
    maxPageBytes: limit,
    maxDomNodes: limit,
    imgAltMaxChars: limit,
    maxLinks: limit,
    urlMaxChars: limit,
    redirectChainMaxHops: limit,
    imageMaxBytes: limit,
  })
  .strict();

export type ThresholdsOverride = z.infer<typeof thresholdsSchema>;

// Runs resolve the same override object for every page: cache by identity so zod validates it once.
const resolved = new WeakMap<object, Thresholds>();

/** Defaults merged with a validated override; throws a ZodError on an invalid override. */
export function resolveThresholds(partial?: Partial<Thresholds> | null): Thresholds {
  if (!partial) return DEFAULT_THRESHOLDS;
  const cached = resolved.get(partial);
  if (cached) return cached;
  const parsed = thresholdsSchema.parse(partial);
  const out: Record<string, number> = { ...DEFAULT_THRESHOLDS };
  for (const [k, v] of Object.entries(parsed)) if (v !== undefined) out[k] = v;
  const result = Object.freeze(out as unknown as Thresholds);
  resolved.set(partial, result);
  return result;
}
