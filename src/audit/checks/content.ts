// Title, meta description, headings, content and document-level HTML checks.
import { descriptionPixelWidth, titlePixelWidth } from '../pixelWidth';
import { charLength, fleschReadingEase, truncate } from '../text';
import type { Thresholds } from '../thresholds';
import type { PageFacts } from './extract';
import type { FindingSink } from './sink';

export interface ContentSummary {
  title: string | null;
  description: string | null;
  h1: string | null;
}

const firstNonEmpty = (xs: readonly string[]): string | null => xs.find((x) => x !== '') ?? null;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function checkTitleAndDescription(sink: FindingSink, f: PageFacts, t: Thresholds): ContentSummary {
  const title = firstNonEmpty(f.titles);
  if (f.titles.length > 1) sink.add('title_multiple', plural(f.titles.length, 'title'));
  if (title === null) {
    sink.add('title_missing');
  } else {
    const n = charLength(title);
    if (n < t.titleMinChars) sink.add('title_too_short', `${n} chars`);
    if (n > t.titleMaxChars) sink.add('title_too_long', `${n} chars`);
    const px = titlePixelWidth(title);
    if (px > t.titleMaxPx) sink.add('title_too_wide', `${Math.round(px)} px`);
  }

  const description = firstNonEmpty(f.descriptions);
  if (f.descriptions.length > 1) sink.add('description_multiple', plural(f.descriptions.length, 'tag'));
  if (description === null) {
    sink.add('description_missing');
  } else {
    const n = charLength(description);
    if (n < t.descriptionMinChars) sink.add('description_too_short', `${n} chars`);
    if (n > t.descriptionMaxChars) sink.add('description_too_long', `${n} chars`);
    const px = descriptionPixelWidth(description);
    if (px > t.descriptionMaxPx) sink.add('description_too_wide', `${Math.round(px)} px`);
  }

  const h1 = firstNonEmpty(f.h1Texts);
  if (h1 === null) sink.add('h1_missing');
  if (f.h1Texts.length > 1) sink.add('h1_multiple', plural(f.h1Texts.length, 'h1'));
  let longest = 0;
  for (const h of f.h1Texts) longest = Math.max(longest, charLength(h));
  if (longest > t.h1MaxChars) sink.add('h1_too_long', `${longest} chars`);
  if (f.h2Count === 0) sink.add('h2_missing');
  checkH2(sink, f, t);
  for (let i = 1; i < f.headingLevels.length; i++) {
    const prev = f.headingLevels[i - 1];
    const cur = f.headingLevels[i];
    if (cur > prev + 1) {
      sink.add('heading_level_skipped', `h${prev} → h${cur}`);
      break;
    }
  }
  if (title !== null && h1 !== null && title.toLowerCase() === h1.toLowerCase()) sink.add('title_same_as_h1');

  return { title, description, h1 };
}

// Phrases error pages use, matched in the title, the H1 and the main text of short pages only: a long
// article may well say "does not exist" or be about fixing 404 errors.
const NOT_FOUND_PHRASES = new RegExp(
  [
    String.raw`\bpage not found\b`, String.raw`\b404 (?:error|not found|page)\b`, String.raw`\berror 404\b`,
    String.raw`\b(?:page|file|product|article|url|content|resource)(?: you(?:'re| are)? (?:were |are )?(?:looking for|requested|trying to reach))? (?:could not|couldn't|can ?not|can't) be found\b`,
    String.raw`\b(?:page|file|product|article|url) (?:you(?:'re| are)? (?:were |are )?(?:looking for|requested) )?(?:does not|doesn't|no longer) exists?\b`,
    String.raw`\bno longer (?:available|exists)\b`, String.raw`\bnothing (?:was )?found here\b`,
    String.raw`\b(?:we )?(?:could not|couldn't|can't|cannot) find (?:the|that|this) page\b`,
  ].join('|'),
  'i',
);
/** A title or H1 part that is only an error label: "404", "Error 404", "Not Found" (as in "Not Found | Shop"). */
const BARE_NOT_FOUND = /^(?:(?:error|http)\s*)?404(?:\s*error)?$|^(?:404\s+)?(?:page\s+)?not\s+found$|^error\s+404\s*[-–:]?\s*not\s+found$/i;
const HEADING_PARTS = /\s+[|–—·•:-]\s+|\s*[|–—·•]\s*/;
/** Headings that talk about an error rather than report one ("How to fix 404 errors", "404 pages explained"). */
const ABOUT_A_PROBLEM = /\b(?:how|why|fix(?:es|ed|ing)?|guide|tips|avoid(?:ing)?|handling|troubleshoot\w*|explained|understanding|errors)\b/i;
const MENTIONS_AN_ERROR = /\b(?:404|not found|errors?|missing|broken|dead|gone)\b/i;
const SOFT_404_MAX_WORDS = 300;

const quotes = (s: string): string => s.replace(/[’‘]/g, "'").trim();

/** A heading with a part that is only an error label ("404", "Not Found | Shop"): an error page whatever else it says. */
function isErrorLabel(s: string | null): boolean {
  return s !== null && quotes(s).split(HEADING_PARTS).some((part) => BARE_NOT_FOUND.test(part.replace(/[!.]+$/, '').trim()));
}

function readsNotFound(s: string | null): boolean {
  return s !== null && (NOT_FOUND_PHRASES.test(quotes(s)) || isErrorLabel(s));
}

/** H2 checks: more than one, and the longest over h2MaxChars. */
export function checkH2(sink: FindingSink, f: PageFacts, t: Thresholds): void {
  let n = 0;
  let longest = 0;
  for (const h of f.h2Texts) {
    if (h === '') continue;
    n++;
    longest = Math.max(longest, charLength(h));
  }
  if (n > 1) sink.add('h2_multiple', plural(n, 'h2'));
  if (longest > t.h2MaxChars) sink.add('h2_too_long', `${longest} chars`);
}

/** Flesch reading ease of English main text below fleschMinScore (pages in other languages are skipped). */
export function checkReadability(sink: FindingSink, f: PageFacts, t: Thresholds): void {
  const lang = (f.htmlLang ?? '').trim().toLowerCase();
  if (lang !== 'en' && !lang.startsWith('en-')) return;
  const r = fleschReadingEase(f.mainText);
  if (r !== null && r.score < t.fleschMinScore) sink.add('readability_difficult', `Flesch ${r.score} (${r.words} words, ${r.sentences} sentences)`);
}

// \s+ rather than one space: the main text comes with its whitespace as extracted (collapsing it costs more than the test).
const LOREM = /\blorem\s+ipsum\b/i;

export function checkContent(
  sink: FindingSink,
  f: PageFacts,
  summary: ContentSummary,
  mainText: string,
  wordCount: number,
  t: Thresholds,
): void {
  if (wordCount < t.thinContentWords) sink.add('thin_content', `${wordCount} words`);

  for (const [where, text] of [['title', summary.title], ['description', summary.description], ['h1', summary.h1], ['text', mainText]] as const) {
    if (text !== null && LOREM.test(text)) {
      sink.add('placeholder_text', `lorem ipsum in ${where}`);
      break;
    }
  }

  // Error pages are short; the word bar keeps long articles about 404 errors from matching, and a title or H1 that
  // talks about the problem ("How to fix 404 errors") marks a page about errors, not an error page. The text matched
  // is the page's own prose: no headings, no link texts, no navigation.
  const about = (s: string | null): boolean => s !== null && ABOUT_A_PROBLEM.test(s) && MENTIONS_AN_ERROR.test(s);
  if (wordCount >= SOFT_404_MAX_WORDS) return;
  if (isErrorLabel(summary.title)) sink.add('soft_404', `title: ${truncate(summary.title ?? '', 80)}`);
  else if (isErrorLabel(summary.h1)) sink.add('soft_404', `h1: ${truncate(summary.h1 ?? '', 80)}`);
  else if (!about(summary.title) && !about(summary.h1)) {
    if (readsNotFound(summary.title)) sink.add('soft_404', `title: ${truncate(summary.title ?? '', 80)}`);
    else if (readsNotFound(summary.h1)) sink.add('soft_404', `h1: ${truncate(summary.h1 ?? '', 80)}`);
    else if (NOT_FOUND_PHRASES.test(f.proseText.replace(/[’‘]/g, "'"))) sink.add('soft_404', 'page text');
  }
}

export function checkDocument(sink: FindingSink, f: PageFacts, t: Thresholds): void {
  if (f.elementCount > t.maxDomNodes) sink.add('dom_too_large', `${f.elementCount} elements`);
  if (f.metaInBody > 0) sink.add('meta_in_body', plural(f.metaInBody, 'tag'));
  if (f.duplicateIds.length > 0) sink.add('duplicate_id', `${plural(f.duplicateIds.length, 'id')}, e.g. #${truncate(f.duplicateIds[0], 60)}`);

  checkHeadInvalidElement(sink, f);

  const lang = f.htmlLang?.trim() ?? '';
  if (lang === '') sink.add('lang_missing');
  else if (!isValidLanguageTag(lang)) sink.add('lang_invalid', truncate(lang, 40));
  if (!f.viewport) sink.add('viewport_missing');
}

/**
 * An element that does not belong in <head> (img, div, an iframe, stray text) ends the head where it stands when
 * browsers and Google parse the page: the meta, link and title tags after it land in the body and are ignored.
 */
export function checkHeadInvalidElement(sink: FindingSink, f: PageFacts): void {
  if (f.headInvalid === null) return;
  const moved = f.headTagsAfterInvalid;
  sink.add('head_invalid_element', moved > 0 ? `${f.headInvalid} ends the head before ${plural(moved, 'tag')}` : f.headInvalid);
}

/** Syntactic BCP 47 validity, as the runtime's Intl implementation (ICU) checks it. */
export function isValidLanguageTag(tag: string): boolean {
  try {
    Intl.getCanonicalLocales(tag);
    return true;
  } catch {
    return false;
  }
}
