// The check catalogue: every finding code Sitesweep can report, with its severity and the text the report,
// the API (GET /api/checks) and the AI prompts show. Codes are a stable contract: rename nothing.
//
// Severity policy, applied throughout:
// - critical: the page (or a link target) cannot be served or indexed as intended: 4xx/5xx, redirect loops,
//   missing title, internal links or canonicals to error pages, an unreachable robots.txt.
// - warning: likely to cost rankings, snippets, crawl budget or link equity: most content, canonical,
//   hreflang, indexability and linking problems.
// - notice: hygiene and best practice, cheap to fix but rarely decisive on their own: lengths in pixels,
//   URL style, security headers, Open Graph tags, informative canonical differences.
import type { CheckCategory, Severity } from './types';
import { DEFAULT_THRESHOLDS, type Thresholds } from './thresholds';

export type CheckScope = 'page' | 'site';

export interface CheckThreshold {
  key: keyof Thresholds;
  default: number;
  unit: string;
}

export interface CheckDefinition {
  code: CheckCode;
  category: CheckCategory;
  severity: Severity;
  /** page: computed from one fetched page; site: computed after the crawl from all pages. */
  scope: CheckScope;
  /** Short name. */
  title: string;
  /** What fires the check, one line. */
  description: string;
  why: string;
  fix: string;
  threshold?: CheckThreshold;
}

/** Codes analyzePage can emit. */
export const PAGE_CHECK_CODES = [
  'status_3xx', 'status_4xx', 'status_5xx', 'redirect_chain', 'redirect_loop', 'slow_response', 'incorrect_media_type',
  'noindex', 'nofollow', 'nosnippet', 'noimageindex', 'unavailable_after',
  'title_missing', 'title_multiple', 'title_too_short', 'title_too_long', 'title_too_wide', 'title_same_as_h1',
  'description_missing', 'description_multiple', 'description_too_short', 'description_too_long', 'description_too_wide',
  'h1_missing', 'h1_multiple', 'h1_too_long', 'h2_missing', 'heading_level_skipped',
  'thin_content', 'placeholder_text', 'soft_404',
  'page_too_large', 'dom_too_large', 'meta_in_body', 'duplicate_id', 'lang_missing', 'lang_invalid', 'viewport_missing',
  'canonical_missing', 'canonical_multiple', 'canonical_conflict_header', 'canonical_relative', 'canonical_invalid',
  'canonical_fragment', 'canonical_outside_head', 'canonical_to_root', 'canonical_elsewhere',
  'hreflang_invalid_code', 'hreflang_relative', 'hreflang_missing_self', 'hreflang_missing_x_default', 'hreflang_lang_mismatch',
  'img_alt_missing', 'img_alt_too_long', 'img_missing_dimensions', 'picture_missing_img',
  'internal_nofollow', 'too_many_links', 'no_outlinks', 'link_text_nondescriptive', 'link_text_empty',
  'anchor_not_crawlable', 'link_to_http', 'link_to_localhost',
  'url_underscore', 'url_space', 'url_multiple_slashes', 'url_uppercase', 'url_too_long', 'url_query_params',
  'http_page', 'mixed_content', 'form_to_http', 'missing_hsts', 'missing_csp', 'missing_nosniff', 'target_blank_no_noopener',
  'jsonld_invalid', 'og_title_missing', 'og_description_missing', 'og_image_missing',
  // SEO depth, round two (issue 14)
  'h2_multiple', 'h2_too_long', 'readability_difficult', 'head_invalid_element', 'missing_x_frame_options', 'missing_referrer_policy',
  'form_on_http', 'url_non_ascii', 'url_repetitive_path', 'url_internal_search', 'internal_link_tracking_params',
  'external_link_followed', 'protocol_relative_link', 'hreflang_duplicate_lang', 'canonical_to_hreflang_alternate',
] as const;
export type PageCheckCode = (typeof PAGE_CHECK_CODES)[number];

/** Page-scope codes the caller adds itself (the fetcher knows, the HTML does not). */
export const CALLER_PAGE_CHECK_CODES = ['blocked_by_robots', 'js_rendered_content_differs', 'resource_blocked_by_robots'] as const;

/** Codes computed after the crawl across pages (site-level analysis). */
export const SITE_CHECK_CODES = [
  'duplicate_title', 'duplicate_description', 'duplicate_h1', 'duplicate_content', 'near_duplicate',
  'broken_internal_link', 'internal_link_to_redirect', 'orphan_page', 'deep_page',
  'canonical_to_redirect', 'canonical_to_error', 'canonical_to_noindex', 'canonical_chain',
  'hreflang_no_return', 'hreflang_to_redirect', 'hreflang_to_error', 'hreflang_to_noindex', 'hreflang_to_non_canonical', 'nofollow_to_indexable',
  'sitemap_non_200', 'sitemap_noindex', 'sitemap_blocked', 'sitemap_non_canonical', 'not_in_sitemap',
  'robots_txt_unreachable', 'robots_txt_invalid', 'external_link_broken', 'external_link_redirect',
  // SEO depth, round two (issue 14)
  'duplicate_h2', 'pagination_broken', 'canonical_unlinked', 'follow_and_nofollow_inlinks', 'sitemap_multiple', 'image_too_large',
] as const;
export type SiteCheckCode = (typeof SITE_CHECK_CODES)[number];

export type CheckCode = PageCheckCode | (typeof CALLER_PAGE_CHECK_CODES)[number] | SiteCheckCode;

type Entry = Omit<CheckDefinition, 'code' | 'scope' | 'threshold'> & { threshold?: [key: keyof Thresholds, unit: string] };

// A Record over CheckCode: the compiler refuses a code without a definition, and a definition without a code.
const PAGE: Record<PageCheckCode | (typeof CALLER_PAGE_CHECK_CODES)[number], Entry> = {
  // ── response ──
  status_3xx: {
    category: 'response', severity: 'warning', title: 'Redirected URL',
    description: 'The requested URL answered with a redirect (3xx) instead of the page.',
    why: 'Every redirect costs crawl budget and a round trip for users, and links pointing at redirects pass their signals less directly.',
    fix: 'Link straight to the final URL and keep redirects only for old URLs that outside sites still reference.',
  },
  status_4xx: {
    category: 'response', severity: 'critical', title: 'Client error (4xx)',
    description: 'The page answered with a 4xx status such as 404 Not Found or 410 Gone.',
    why: 'Search engines drop 4xx pages from the index and users who follow a link to them hit a dead end.',
    fix: 'Restore the page, redirect the URL (301) to its closest replacement, or remove the links that point to it.',
  },
  status_5xx: {
    category: 'response', severity: 'critical', title: 'Server error (5xx)',
    description: 'The page answered with a 5xx status.',
    why: 'Server errors stop indexing of the page, and persistent ones make crawlers slow down on the whole site.',
    fix: 'Check the server and application logs for the failing request and fix the error or the capacity problem behind it.',
  },
  redirect_chain: {
    category: 'response', severity: 'warning', title: 'Redirect chain',
    description: 'The URL takes more redirect hops than allowed before reaching the final response.',
    why: 'Each hop adds latency and crawlers give up after a few, so pages behind long chains may never be indexed.',
    fix: 'Point the first redirect (and internal links) directly at the final destination.',
    threshold: ['redirectChainMaxHops', 'hops'],
  },
  redirect_loop: {
    category: 'response', severity: 'critical', title: 'Redirect loop',
    description: 'The redirect chain comes back to a URL it already visited.',
    why: 'A loop never reaches a page: browsers show an error and crawlers cannot index anything at that URL.',
    fix: 'Fix the redirect rules so that each URL redirects once to a URL that answers 200.',
  },
  slow_response: {
    category: 'response', severity: 'warning', title: 'Slow server response',
    description: 'Time to first byte of the page is above the limit.',
    why: 'A slow first byte delays every other metric users feel, and crawlers fetch fewer pages from slow hosts.',
    fix: 'Cache rendered pages, speed up slow queries or templates, and serve from a CDN close to users.',
    threshold: ['slowResponseMs', 'ms'],
  },
  incorrect_media_type: {
    category: 'response', severity: 'warning', title: 'Wrong Content-Type',
    description: 'The Content-Type header is missing or contradicts the body or the URL extension (e.g. .html served as text/plain).',
    why: 'Browsers and crawlers trust the declared media type, so an HTML page declared as something else may be shown as text or not indexed as a page.',
    fix: 'Send the matching Content-Type (text/html; charset=utf-8 for pages) from the server or CDN configuration.',
  },
  // ── indexability ──
  noindex: {
    category: 'indexability', severity: 'warning', title: 'Noindex',
    description: 'A robots meta tag or X-Robots-Tag header (generic or for Googlebot, Bingbot or our user agent) says noindex or none.',
    why: 'The page will be kept out of search results. A warning, not critical, because noindex is often intended (search results, carts, thank-you pages).',
    fix: 'If the page should rank, remove noindex from the robots meta tag and the X-Robots-Tag header; otherwise keep it and stop linking to it from the sitemap.',
  },
  nofollow: {
    category: 'indexability', severity: 'warning', title: 'Page-level nofollow',
    description: 'A robots meta tag or X-Robots-Tag header says nofollow (or none) for the whole page.',
    why: 'Crawlers will not follow any link on the page, so pages reached only from here may never be discovered.',
    fix: 'Remove nofollow from the page-level directives and mark individual links rel="nofollow" where needed.',
  },
  nosnippet: {
    category: 'indexability', severity: 'notice', title: 'Snippet disabled',
    description: 'A nosnippet or max-snippet:0 directive applies to the page.',
    why: 'Search results will show the page without a text snippet, which usually lowers click-through.',
    fix: 'Remove nosnippet/max-snippet:0 unless hiding the snippet is deliberate; use data-nosnippet on specific passages instead.',
  },
  noimageindex: {
    category: 'indexability', severity: 'notice', title: 'Images not indexed',
    description: 'A noimageindex directive applies to the page.',
    why: 'Images on the page will not appear in image search, giving up a source of traffic.',
    fix: 'Remove noimageindex unless keeping the images out of image search is deliberate.',
  },
  unavailable_after: {
    category: 'indexability', severity: 'warning', title: 'Expired unavailable_after',
    description: 'An unavailable_after directive names a date that has already passed.',
    why: 'After that date search engines remove the page from results, as if it were noindex.',
    fix: 'Remove the directive or move the date forward if the page should stay in search results.',
  },
  blocked_by_robots: {
    category: 'indexability', severity: 'warning', title: 'Blocked by robots.txt',
    description: 'robots.txt disallows this URL for the crawler, so its content was not fetched.',
    why: 'Search engines cannot read a blocked page; it can still be indexed from links but with no title or snippet.',
    fix: 'Allow the URL in robots.txt if it should be indexed; to keep it out of results use noindex instead of a disallow.',
  },
  js_rendered_content_differs: {
    category: 'content', severity: 'warning', title: 'Content differs after JavaScript rendering',
    description: 'With render: "chromium", the rendered DOM has a different title, description, canonical, H1, robots noindex, links or word count (over 10%) than the raw HTML.',
    why: 'Search engines index the raw HTML first and render later, if at all; others (social previews, many crawlers and AI agents) never run scripts, so what only JavaScript writes may be missed or indexed late.',
    fix: 'Serve the title, meta tags, canonical, main text and navigation links in the HTML response (server-side rendering or pre-rendering); use JavaScript to enhance, not to create them.',
  },
  // ── title ──
  title_missing: {
    category: 'title', severity: 'critical', title: 'Missing title',
    description: 'The page has no <title> element, or it is empty.',
    why: 'The title is the main headline of the search result and a strong relevance signal; without one search engines invent a title.',
    fix: 'Add a unique, descriptive <title> to the <head> that names the page topic first.',
  },
  title_multiple: {
    category: 'title', severity: 'warning', title: 'Multiple titles',
    description: 'The page has more than one <title> element.',
    why: 'Search engines pick one of them, not necessarily the one you intended.',
    fix: 'Keep a single <title> in the <head>; check templates and plugins that add their own.',
  },
  title_too_short: {
    category: 'title', severity: 'warning', title: 'Title too short',
    description: 'The title has fewer characters than the minimum.',
    why: 'A very short title wastes the most visible space of the result and misses descriptive words users search for.',
    fix: 'Expand the title with the page topic and a distinguishing detail (product, place, brand).',
    threshold: ['titleMinChars', 'chars'],
  },
  title_too_long: {
    category: 'title', severity: 'warning', title: 'Title too long',
    description: 'The title has more characters than the maximum.',
    why: 'Long titles are cut off in search results, so the end of the message is lost.',
    fix: 'Shorten the title and put the most important words first.',
    threshold: ['titleMaxChars', 'chars'],
  },
  title_too_wide: {
    category: 'title', severity: 'notice', title: 'Title too wide',
    description: 'The title is estimated wider than the limit in Arial 20px, the results-page title font.',
    why: 'Result pages truncate titles by pixel width, not characters; wide letters (W, M, capitals) get cut sooner.',
    fix: 'Shorten the title or use narrower wording until it fits the width.',
    threshold: ['titleMaxPx', 'px'],
  },
  title_same_as_h1: {
    category: 'title', severity: 'notice', title: 'Title same as H1',
    description: 'The title is identical to the main heading.',
    why: 'Two identical headlines miss a chance to target a second phrasing of the topic.',
    fix: 'Keep both on topic but word them differently, e.g. a concise H1 and a title with a qualifier or brand.',
  },
  // ── description ──
  description_missing: {
    category: 'description', severity: 'warning', title: 'Missing meta description',
    description: 'The page has no meta description, or it is empty.',
    why: 'Search engines then build the snippet from page text, which is often less persuasive than a written summary.',
    fix: 'Add <meta name="description" content="…"> with a one- or two-sentence summary of the page.',
  },
  description_multiple: {
    category: 'description', severity: 'warning', title: 'Multiple meta descriptions',
    description: 'The page has more than one meta description tag.',
    why: 'Only one is used and it may not be the intended one.',
    fix: 'Keep a single meta description; check templates and SEO plugins for duplicates.',
  },
  description_too_short: {
    category: 'description', severity: 'notice', title: 'Meta description too short',
    description: 'The meta description has fewer characters than the minimum.',
    why: 'A short description leaves snippet space unused and is more likely to be replaced by page text.',
    fix: 'Write a fuller summary that says what the page offers and why to click.',
    threshold: ['descriptionMinChars', 'chars'],
  },
  description_too_long: {
    category: 'description', severity: 'notice', title: 'Meta description too long',
    description: 'The meta description has more characters than the maximum.',
    why: 'Long descriptions are truncated in results, cutting off the end of the message.',
    fix: 'Shorten it and put the key information first.',
    threshold: ['descriptionMaxChars', 'chars'],
  },
  description_too_wide: {
    category: 'description', severity: 'notice', title: 'Meta description too wide',
    description: 'The description is estimated wider than the limit in Arial 14px, the results-page snippet font.',
    why: 'Snippets are truncated by pixel width, so wide text gets cut before the character limit.',
    fix: 'Shorten the description until it fits the width.',
    threshold: ['descriptionMaxPx', 'px'],
  },
  // ── headings ──
  h1_missing: {
    category: 'headings', severity: 'warning', title: 'Missing H1',
    description: 'The page has no <h1>, or every <h1> is empty.',
    why: 'The H1 tells users and search engines what the page is about; without it the main topic is less clear.',
    fix: 'Add one visible <h1> that states the page topic.',
  },
  h1_multiple: {
    category: 'headings', severity: 'notice', title: 'Multiple H1',
    description: 'The page has more than one <h1>.',
    why: 'Several top-level headings blur the main topic; search engines cope, but one H1 is clearer for users and assistive tech.',
    fix: 'Keep one <h1> for the page topic and demote the others to <h2>.',
  },
  h1_too_long: {
    category: 'headings', severity: 'notice', title: 'H1 too long',
    description: 'An <h1> has more characters than the maximum.',
    why: 'Long headings read like paragraphs and dilute the main topic.',
    fix: 'Shorten the H1 to the essential phrase and move detail into the text.',
    threshold: ['h1MaxChars', 'chars'],
  },
  h2_missing: {
    category: 'headings', severity: 'notice', title: 'Missing H2',
    description: 'The page has no <h2>.',
    why: 'Subheadings structure longer content for readers and help search engines find sections that answer specific queries.',
    fix: 'Break the content into sections with descriptive <h2> headings.',
  },
  heading_level_skipped: {
    category: 'headings', severity: 'notice', title: 'Skipped heading level',
    description: 'A heading is more than one level deeper than the one before it (e.g. h1 followed by h3).',
    why: 'Skipped levels break the document outline that screen readers and parsers use to understand structure.',
    fix: 'Use heading levels in order and style them with CSS instead of picking a level for its size.',
  },
  // ── content ──
  thin_content: {
    category: 'content', severity: 'warning', title: 'Thin content',
    description: 'The main content (without scripts, navigation, header, footer and asides) has fewer words than the minimum.',
    why: 'Pages with little unique text rarely rank and many of them can lower the perceived quality of the site.',
    fix: 'Add useful, unique text, merge the page with related thin pages, or noindex it if it exists only for navigation.',
    threshold: ['thinContentWords', 'words'],
  },
  placeholder_text: {
    category: 'content', severity: 'warning', title: 'Placeholder text',
    description: 'The page contains "lorem ipsum" filler text.',
    why: 'Filler text signals an unfinished page to users and search engines.',
    fix: 'Replace the placeholder with real content or unpublish the page.',
  },
  soft_404: {
    category: 'content', severity: 'warning', title: 'Soft 404',
    description: 'The page answers 200 but its title, H1 or text says the page was not found or no longer exists.',
    why: 'Search engines treat it as an error page anyway, and the wrong status wastes crawl budget and hides broken links.',
    fix: 'Return a real 404 or 410 for missing pages, or redirect to a relevant replacement.',
  },
  // ── html ──
  page_too_large: {
    category: 'html', severity: 'warning', title: 'HTML too large',
    description: 'The HTML document is larger than the maximum.',
    why: 'Huge documents download and parse slowly, and search engines stop reading HTML after a size cap (Google: 2 MB).',
    fix: 'Move inline data, styles and scripts to external files, paginate long lists, and remove unused markup.',
    threshold: ['maxPageBytes', 'bytes'],
  },
  dom_too_large: {
    category: 'html', severity: 'notice', title: 'Too many DOM nodes',
    description: 'The document has more element nodes than the maximum.',
    why: 'A large DOM increases memory use, style calculation and layout time, hurting interaction speed.',
    fix: 'Simplify markup, lazy-render off-screen parts and avoid deeply nested wrappers.',
    threshold: ['maxDomNodes', 'nodes'],
  },
  meta_in_body: {
    category: 'html', severity: 'warning', title: 'Meta tag in body',
    description: 'A <meta> element (other than microdata itemprop) appears after the head has ended.',
    why: 'Search engines read directives such as robots and description from the head; in the body they may be ignored.',
    fix: 'Move the <meta> tags into <head>, and check that nothing invalid (an <img>, text) ends the head early.',
  },
  duplicate_id: {
    category: 'html', severity: 'notice', title: 'Duplicate id',
    description: 'The same id attribute value is used on more than one element.',
    why: 'Duplicate ids break in-page links, label associations and scripts, and are invalid HTML.',
    fix: 'Make every id unique within the page.',
  },
  lang_missing: {
    category: 'html', severity: 'notice', title: 'Missing lang',
    description: 'The <html> element has no lang attribute.',
    why: 'The language helps search engines serve the page to the right audience and screen readers to pronounce it.',
    fix: 'Add lang with the page language, e.g. <html lang="en">.',
  },
  lang_invalid: {
    category: 'html', severity: 'notice', title: 'Invalid lang',
    description: 'The <html lang> value is not a syntactically valid BCP 47 language tag (e.g. "en_US").',
    why: 'An invalid tag is ignored, so the page is treated as having no declared language.',
    fix: 'Use a BCP 47 tag: language, optional region, hyphen-separated (en, en-GB, pt-BR).',
  },
  viewport_missing: {
    category: 'html', severity: 'warning', title: 'Missing viewport',
    description: 'The page has no meta viewport tag, or it is empty.',
    why: 'Without it mobile browsers render a zoomed-out desktop layout, and search engines index the mobile version first.',
    fix: 'Add <meta name="viewport" content="width=device-width, initial-scale=1">.',
  },
  // ── canonical ──
  canonical_missing: {
    category: 'canonical', severity: 'notice', title: 'Missing canonical',
    description: 'Neither a link rel=canonical in the head nor a canonical Link header is present.',
    why: 'Without a canonical, search engines choose between URL variants (parameters, trailing slashes) themselves.',
    fix: 'Add <link rel="canonical" href="…"> with the absolute preferred URL, pointing to the page itself if it is the original.',
  },
  canonical_multiple: {
    category: 'canonical', severity: 'warning', title: 'Multiple canonicals',
    description: 'The HTML has more than one link rel=canonical.',
    why: 'With several canonicals search engines may ignore all of them.',
    fix: 'Keep exactly one canonical tag; check templates and SEO plugins that add their own.',
  },
  canonical_conflict_header: {
    category: 'canonical', severity: 'warning', title: 'Canonical header conflict',
    description: 'The canonical in the HTTP Link header differs from the one in the HTML.',
    why: 'Conflicting canonical signals are ignored, so search engines pick the canonical on their own.',
    fix: 'Send one canonical, or make the header and the tag name the same URL.',
  },
  canonical_relative: {
    category: 'canonical', severity: 'notice', title: 'Relative canonical',
    description: 'The canonical URL is relative (no scheme and host).',
    why: 'Relative canonicals resolve against whatever host served the page (staging, http, mirrors) and can point at the wrong URL.',
    fix: 'Use an absolute URL with scheme and host in the canonical.',
  },
  canonical_invalid: {
    category: 'canonical', severity: 'warning', title: 'Invalid canonical',
    description: 'The canonical href is empty, unparsable or not an http(s) URL.',
    why: 'An invalid canonical is ignored.',
    fix: 'Set the canonical href to a valid absolute http(s) URL.',
  },
  canonical_fragment: {
    category: 'canonical', severity: 'warning', title: 'Canonical with fragment',
    description: 'The canonical URL contains a #fragment.',
    why: 'Fragments are not part of the indexed URL, so this canonical is at best stripped and at worst ignored.',
    fix: 'Remove the #fragment from the canonical URL.',
  },
  canonical_outside_head: {
    category: 'canonical', severity: 'warning', title: 'Canonical outside head',
    description: 'A link rel=canonical appears after the head has ended.',
    why: 'Search engines ignore canonicals in the body, since anyone able to add content could hijack them.',
    fix: 'Move the canonical into <head>, and make sure no body element (or stray text) ends the head before it.',
  },
  canonical_to_root: {
    category: 'canonical', severity: 'warning', title: 'Canonical to home page',
    description: 'A page other than the home page declares the home page as its canonical.',
    why: 'Usually a template bug: it asks search engines to drop the page in favour of the home page.',
    fix: 'Point the canonical at the page\'s own preferred URL.',
  },
  canonical_elsewhere: {
    category: 'canonical', severity: 'notice', title: 'Canonicalised elsewhere',
    description: 'The canonical points to a different URL than the page\'s own final URL (after normalization).',
    why: 'The page asks not to be indexed itself; fine for variants, a problem if the page should rank.',
    fix: 'If the page is the original, point its canonical to itself; otherwise link internally to the canonical URL.',
  },
  // ── hreflang ──
  hreflang_invalid_code: {
    category: 'hreflang', severity: 'warning', title: 'Invalid hreflang code',
    description: 'An hreflang value is not an ISO 639-1 language with an optional script and ISO 3166-1 region, or x-default.',
    why: 'Alternates with invalid codes (en-UK, en_US, eng) are ignored.',
    fix: 'Use codes like en, en-GB, zh-Hant or x-default.',
  },
  hreflang_relative: {
    category: 'hreflang', severity: 'warning', title: 'Relative hreflang URL',
    description: 'An hreflang alternate uses a relative URL.',
    why: 'Hreflang alternates must be fully qualified URLs; relative ones may be ignored.',
    fix: 'Use absolute URLs with scheme and host in every hreflang link.',
  },
  hreflang_missing_self: {
    category: 'hreflang', severity: 'notice', title: 'Hreflang without self-reference',
    description: 'The page lists hreflang alternates but none of them is the page itself.',
    why: 'Each language version should list itself too, or the set can be read as incomplete.',
    fix: 'Add an hreflang link for the page\'s own language pointing at its own URL.',
  },
  hreflang_missing_x_default: {
    category: 'hreflang', severity: 'notice', title: 'Missing x-default',
    description: 'The page lists hreflang alternates but no x-default.',
    why: 'x-default tells search engines which version to show users whose language matches none of the alternates.',
    fix: 'Add <link rel="alternate" hreflang="x-default" href="…"> pointing at the language selector or default version.',
  },
  hreflang_lang_mismatch: {
    category: 'hreflang', severity: 'notice', title: 'Hreflang differs from lang',
    description: 'The hreflang the page gives itself has another language than its <html lang>.',
    why: 'Contradicting language signals make it harder to serve the right version and hint at a template error.',
    fix: 'Make the self-referencing hreflang and <html lang> name the same language.',
  },
  // ── images ──
  img_alt_missing: {
    category: 'images', severity: 'warning', title: 'Image without alt',
    description: 'An <img> has no alt attribute (alt="" is fine for decorative images).',
    why: 'Alt text describes images to screen readers and image search; without it the image means nothing to them.',
    fix: 'Add alt text describing the image, or alt="" if it is purely decorative.',
  },
  img_alt_too_long: {
    category: 'images', severity: 'notice', title: 'Alt text too long',
    description: 'An image alt text has more characters than the maximum.',
    why: 'Long alt text is tiresome for screen-reader users and looks like keyword stuffing.',
    fix: 'Describe the image in one short phrase; put longer explanations in the surrounding text or a caption.',
    threshold: ['imgAltMaxChars', 'chars'],
  },
  img_missing_dimensions: {
    category: 'images', severity: 'notice', title: 'Image without dimensions',
    description: 'An <img> lacks a width or height attribute.',
    why: 'Without dimensions the browser cannot reserve space, so the layout shifts as images load (CLS).',
    fix: 'Add width and height attributes with the image\'s intrinsic size; CSS can still scale it.',
  },
  picture_missing_img: {
    category: 'images', severity: 'warning', title: '<picture> without <img>',
    description: 'A <picture> element has no <img> child.',
    why: 'The <img> is what renders; without it the picture shows nothing and carries no alt text.',
    fix: 'Add an <img> (with src and alt) as the last child of <picture>.',
  },
  // ── links ──
  internal_nofollow: {
    category: 'links', severity: 'warning', title: 'Nofollow internal link',
    description: 'A link to a page of the same site has rel="nofollow".',
    why: 'Nofollow on your own links withholds crawling and signals from your own pages and wastes link equity.',
    fix: 'Remove rel="nofollow" from internal links; use noindex or robots.txt for pages you want kept out.',
  },
  too_many_links: {
    category: 'links', severity: 'notice', title: 'Too many links',
    description: 'The page links to more distinct URLs than the maximum.',
    why: 'Each link gets a smaller share of the page\'s value, and long link lists are hard for users to scan.',
    fix: 'Trim navigation and footer links, and group long lists into category pages.',
    threshold: ['maxLinks', 'links'],
  },
  no_outlinks: {
    category: 'links', severity: 'warning', title: 'No internal outlinks',
    description: 'The page has no crawlable link to another page of the site.',
    why: 'A dead end stops crawlers and users: nothing beyond this page is discovered from it.',
    fix: 'Add navigation or contextual links to related pages, as plain <a href> elements.',
  },
  link_text_nondescriptive: {
    category: 'links', severity: 'notice', title: 'Non-descriptive link text',
    description: 'A link uses generic text such as "click here", "read more" or "learn more".',
    why: 'Anchor text tells users and search engines what the target is about; generic text says nothing.',
    fix: 'Use text that names the destination, e.g. "pricing for teams" instead of "click here".',
  },
  link_text_empty: {
    category: 'links', severity: 'warning', title: 'Link without text',
    description: 'A link has no text, no image alt text and no aria-label or title.',
    why: 'Empty links give search engines no anchor text and screen readers nothing to announce.',
    fix: 'Add visible text, alt text to the linked image, or an aria-label describing the target.',
  },
  anchor_not_crawlable: {
    category: 'links', severity: 'warning', title: 'Uncrawlable link',
    description: 'An <a> has no usable href: missing, empty, javascript:, file: or unparsable.',
    why: 'Crawlers only follow real URLs in href; pages reached through such links stay undiscovered.',
    fix: 'Give every navigational link a real URL in href and keep scripts as progressive enhancement.',
  },
  link_to_http: {
    category: 'links', severity: 'notice', title: 'Link to http',
    description: 'An HTTPS page links to an http:// URL.',
    why: 'Users leave the secure site (browsers warn), and internal http links cost an extra redirect each.',
    fix: 'Change links to https:// where the target supports it.',
  },
  link_to_localhost: {
    category: 'links', severity: 'warning', title: 'Link to localhost',
    description: 'A link points at localhost, 127.x.x.x or ::1 on a public page.',
    why: 'Such links leak from development and are broken for every visitor and crawler.',
    fix: 'Replace them with the public URL, or with relative links.',
  },
  // ── url ──
  url_underscore: {
    category: 'url', severity: 'notice', title: 'Underscore in URL',
    description: 'The URL path contains underscores.',
    why: 'Search engines treat hyphens, not underscores, as word separators, so words joined by _ read as one.',
    fix: 'Use hyphens in new URLs; redirect old ones only if the change is worth the migration.',
  },
  url_space: {
    category: 'url', severity: 'notice', title: 'Space in URL',
    description: 'The URL path contains a space (or %20).',
    why: 'Spaces must be encoded, are often broken by copy and paste, and create duplicate URL variants.',
    fix: 'Replace spaces with hyphens and redirect the old URLs.',
  },
  url_multiple_slashes: {
    category: 'url', severity: 'notice', title: 'Multiple slashes in URL',
    description: 'The URL path contains "//".',
    why: 'Servers usually answer the same page for /a//b and /a/b, creating duplicate URLs.',
    fix: 'Fix the link or template that builds the path, and redirect // paths to the single-slash form.',
  },
  url_uppercase: {
    category: 'url', severity: 'notice', title: 'Uppercase in URL',
    description: 'The URL path contains uppercase letters.',
    why: 'URL paths are case-sensitive, so mixed case invites duplicate URLs and broken links.',
    fix: 'Use lowercase paths and redirect mixed-case variants.',
  },
  url_too_long: {
    category: 'url', severity: 'notice', title: 'URL too long',
    description: 'The URL has more characters than the maximum.',
    why: 'Long URLs are truncated in results, hard to share and often carry needless parameters.',
    fix: 'Shorten paths to a few meaningful words and drop unnecessary parameters.',
    threshold: ['urlMaxChars', 'chars'],
  },
  url_query_params: {
    category: 'url', severity: 'notice', title: 'Query parameters',
    description: 'The URL has a query string.',
    why: 'Parameters multiply URL variants of the same content, splitting signals and crawl budget.',
    fix: 'Prefer clean paths for indexable pages and canonicalise parameter variants to the clean URL.',
  },
  // ── security ──
  http_page: {
    category: 'security', severity: 'warning', title: 'Page on http',
    description: 'The page is served over plain http.',
    why: 'Browsers mark http pages "Not secure", HTTPS is a ranking signal, and traffic can be read or altered.',
    fix: 'Serve the site over HTTPS and 301-redirect every http URL to its https counterpart.',
  },
  mixed_content: {
    category: 'security', severity: 'warning', title: 'Mixed content',
    description: 'An HTTPS page loads an image, script, stylesheet or iframe over http.',
    why: 'Browsers block or warn about insecure subresources, breaking the page and the padlock.',
    fix: 'Load every resource over https (or from your own origin).',
  },
  form_to_http: {
    category: 'security', severity: 'warning', title: 'Form posts to http',
    description: 'A form on an HTTPS page submits to an http:// URL.',
    why: 'Submitted data travels unencrypted and browsers warn users before sending it.',
    fix: 'Make the form action an https URL.',
  },
  missing_hsts: {
    category: 'security', severity: 'notice', title: 'Missing HSTS',
    description: 'An HTTPS page has no Strict-Transport-Security header with a positive max-age.',
    why: 'Without HSTS the first request of a visit can be downgraded to http by an attacker.',
    fix: 'Send Strict-Transport-Security: max-age=31536000; includeSubDomains once the whole site works on https.',
  },
  missing_csp: {
    category: 'security', severity: 'notice', title: 'Missing CSP',
    description: 'No Content-Security-Policy header (or meta http-equiv) is present.',
    why: 'A CSP limits what an injected script can do, the main defence in depth against XSS.',
    fix: 'Add a Content-Security-Policy, starting in report-only mode to find what it would block.',
  },
  missing_nosniff: {
    category: 'security', severity: 'notice', title: 'Missing nosniff',
    description: 'The X-Content-Type-Options: nosniff header is missing.',
    why: 'Without it browsers may guess a response\'s type and run content as script or style.',
    fix: 'Send X-Content-Type-Options: nosniff on every response.',
  },
  target_blank_no_noopener: {
    category: 'security', severity: 'notice', title: 'target=_blank without noopener',
    description: 'A link to another site opens in a new tab without rel="noopener" or "noreferrer".',
    why: 'Older browsers give the opened page control over this tab (reverse tabnabbing).',
    fix: 'Add rel="noopener" to links with target="_blank".',
  },
  // ── structured data ──
  jsonld_invalid: {
    category: 'structured_data', severity: 'warning', title: 'Invalid JSON-LD',
    description: 'A <script type="application/ld+json"> block is not valid JSON.',
    why: 'Search engines discard structured data that does not parse, losing rich results.',
    fix: 'Fix the JSON syntax (trailing commas, unescaped quotes) and check it with a structured-data validator.',
  },
  og_title_missing: {
    category: 'structured_data', severity: 'notice', title: 'Missing og:title',
    description: 'The page has no Open Graph og:title.',
    why: 'Social networks and chat apps use it as the headline of shared links.',
    fix: 'Add <meta property="og:title" content="…">.',
  },
  og_description_missing: {
    category: 'structured_data', severity: 'notice', title: 'Missing og:description',
    description: 'The page has no Open Graph og:description.',
    why: 'Shared links show it as their summary; without it apps guess from page text.',
    fix: 'Add <meta property="og:description" content="…">.',
  },
  og_image_missing: {
    category: 'structured_data', severity: 'notice', title: 'Missing og:image',
    description: 'The page has no Open Graph og:image.',
    why: 'Shared links without an image get much less attention in feeds and chats.',
    fix: 'Add <meta property="og:image" content="https://…"> with an image of at least 1200×630 px.',
  },
  // ── SEO depth, round two (issue 14) ──
  h2_multiple: {
    category: 'headings', severity: 'notice', title: 'Multiple H2',
    description: 'The page has more than one non-empty <h2>.',
    why: 'Several H2s are normal on long pages; on short ones they often mean headings used for styling, which blurs the outline search engines read.',
    fix: 'Keep one <h2> per real section and style other text with CSS instead of heading tags.',
  },
  h2_too_long: {
    category: 'headings', severity: 'notice', title: 'H2 too long',
    description: 'The longest <h2> is longer than the limit.',
    why: 'Long subheadings are hard to scan and read more like paragraphs than section labels.',
    fix: 'Shorten the heading to a concise label for its section and move the detail into the text below.',
    threshold: ['h2MaxChars', 'chars'],
  },
  readability_difficult: {
    category: 'content', severity: 'notice', title: 'Hard to read (Flesch)',
    description: 'English main text scores below the limit on Flesch reading ease (long sentences, long words); pages in other languages are not scored.',
    why: 'Text that is hard to read loses visitors before it answers their question, which shows in engagement and conversions.',
    fix: 'Use shorter sentences and plainer words, split long paragraphs, and explain jargon.',
    threshold: ['fleschMinScore', 'Flesch score'],
  },
  head_invalid_element: {
    category: 'html', severity: 'warning', title: 'Invalid element in <head>',
    description: 'An element that does not belong in <head> (img, div, iframe, text…) ends the head early; the tags after it land in the body.',
    why: 'Browsers and Google close the head at the first invalid element, so a title, meta robots, canonical or hreflang tag after it is ignored.',
    fix: 'Move the element into <body> (or remove it) and keep only title, meta, link, base, script, style, noscript and template in <head>.',
  },
  missing_x_frame_options: {
    category: 'security', severity: 'notice', title: 'Missing X-Frame-Options',
    description: 'The page sends neither an X-Frame-Options header nor a Content-Security-Policy header with frame-ancestors.',
    why: 'Any site can load the page in a frame and trick users into clicking on it (clickjacking).',
    fix: 'Send X-Frame-Options: SAMEORIGIN (or DENY), or Content-Security-Policy: frame-ancestors \'self\'.',
  },
  missing_referrer_policy: {
    category: 'security', severity: 'notice', title: 'Missing Referrer-Policy',
    description: 'The page sends no Referrer-Policy header and has no <meta name="referrer">.',
    why: 'Without a policy, older browsers send full URLs (with their query strings) to other sites as the referrer.',
    fix: 'Send Referrer-Policy: strict-origin-when-cross-origin (or stricter) from the server.',
  },
  form_on_http: {
    category: 'security', severity: 'warning', title: 'Form on an http page',
    description: 'A page served over plain http contains a <form>.',
    why: 'What users type travels unencrypted, and browsers mark such forms as not secure.',
    fix: 'Serve the site over https and redirect http to https.',
  },
  url_non_ascii: {
    category: 'url', severity: 'notice', title: 'Non-ASCII characters in URL',
    description: 'The URL path or query contains characters outside ASCII (percent-encoded in requests).',
    why: 'Such URLs are shown percent-encoded in many places, are easy to mistype or break when shared, and may be encoded differently by different tools.',
    fix: 'Use ASCII slugs (transliterate or translate), and keep any non-ASCII URLs consistently encoded in links and sitemaps.',
  },
  url_repetitive_path: {
    category: 'url', severity: 'notice', title: 'Repeated path segments',
    description: 'A path segment or a run of segments repeats right after itself (/shop/shop/, /a/b/a/b/).',
    why: 'Repeats usually come from relative links resolved against the wrong directory, which create endless duplicate URLs for crawlers.',
    fix: 'Make the links root-relative or absolute, and redirect the repeated URLs to the right ones.',
  },
  url_internal_search: {
    category: 'url', severity: 'notice', title: 'Internal search URL',
    description: 'The crawled URL looks like a site-search result page (a /search path or a q, s, query, search or keyword parameter).',
    why: 'Search result pages are endless, thin and near-duplicate; crawling them wastes crawl budget and Google asks sites to keep them out.',
    fix: 'Disallow the search path in robots.txt or mark search pages noindex, and do not link to search results.',
  },
  internal_link_tracking_params: {
    category: 'links', severity: 'notice', title: 'Internal link with tracking parameters',
    description: 'An internal link carries analytics parameters (utm_*, gclid, fbclid…).',
    why: 'Clicking it starts a new analytics session with the wrong source, and crawlers see another URL variant of the page.',
    fix: 'Link internally to clean URLs; keep campaign parameters for links from outside the site.',
  },
  external_link_followed: {
    category: 'links', severity: 'notice', title: 'Followed external links',
    description: 'The page has external links without rel="nofollow", "sponsored" or "ugc" (informational).',
    why: 'Followed links pass signals to other sites. That is right for editorial links, wrong for paid or user-generated ones.',
    fix: 'Nothing to do for editorial links; mark paid links rel="sponsored" and user-generated ones rel="ugc".',
  },
  protocol_relative_link: {
    category: 'security', severity: 'notice', title: 'Protocol-relative link',
    description: 'A link or resource URL starts with // (no scheme).',
    why: 'On any http copy of the page it loads over http, and it is an outdated pattern that tools resolve inconsistently.',
    fix: 'Write absolute https:// URLs (or root-relative ones for the same site).',
  },
  hreflang_duplicate_lang: {
    category: 'hreflang', severity: 'warning', title: 'Several URLs for one hreflang language',
    description: 'The page\'s hreflang annotations give more than one URL for the same language (or x-default).',
    why: 'Search engines cannot tell which URL to show for that language and may ignore the annotations.',
    fix: 'Give each language-region code exactly one URL across the hreflang set.',
  },
  resource_blocked_by_robots: {
    category: 'crawl', severity: 'warning', title: 'Resources blocked by robots.txt',
    description: 'Scripts, stylesheets, images or frames on the page\'s own host are disallowed by robots.txt (checked when the run respects robots.txt).',
    why: 'Search engines render pages with their resources; blocked scripts or styles can hide content and links, or make the page look broken or not mobile-friendly.',
    fix: 'Allow crawlers to fetch the CSS, JavaScript and images pages need (narrow the Disallow rules or add Allow rules for them).',
  },
  canonical_to_hreflang_alternate: {
    category: 'canonical', severity: 'warning', title: 'Canonical to another language version',
    description: 'The canonical points at another of the page\'s hreflang alternates (Lighthouse\'s rule).',
    why: 'The canonical tells search engines to drop this language version in favour of another, defeating the hreflang set.',
    fix: 'Make each language version canonical to itself and connect them only with hreflang.',
  },
};

const SITE: Record<SiteCheckCode, Entry> = {
  duplicate_title: {
    category: 'title', severity: 'warning', title: 'Duplicate title',
    description: 'Several indexable pages share the same title.',
    why: 'Identical titles make pages compete for the same queries and hide what makes each one different.',
    fix: 'Give every indexable page a unique title, or canonicalise true duplicates to one URL.',
  },
  duplicate_description: {
    category: 'description', severity: 'warning', title: 'Duplicate meta description',
    description: 'Several indexable pages share the same meta description.',
    why: 'Repeated descriptions are often replaced by search engines and do not help users choose a result.',
    fix: 'Write a specific description for each important page.',
  },
  duplicate_h1: {
    category: 'headings', severity: 'notice', title: 'Duplicate H1',
    description: 'Several indexable pages share the same H1.',
    why: 'Identical main headings suggest pages with the same topic that compete with each other.',
    fix: 'Make each H1 describe its own page, or merge pages that cover the same topic.',
  },
  duplicate_content: {
    category: 'content', severity: 'warning', title: 'Duplicate content',
    description: 'Several indexable pages have identical main text.',
    why: 'Search engines index one of the copies and spread signals thin across the rest.',
    fix: 'Keep one URL: redirect or canonicalise the duplicates to it.',
  },
  near_duplicate: {
    category: 'content', severity: 'notice', title: 'Near-duplicate content',
    description: 'Indexable pages whose main text is almost the same (high SimHash similarity).',
    why: 'Near-identical pages compete for the same queries and may be filtered as duplicates.',
    fix: 'Differentiate the pages with unique content, or consolidate them with a canonical or redirect.',
  },
  broken_internal_link: {
    category: 'links', severity: 'critical', title: 'Broken internal link',
    description: 'A page links to an internal URL that answers 4xx or 5xx or cannot be fetched.',
    why: 'Broken links waste crawl budget, leak link equity and send users to error pages.',
    fix: 'Update the link to a working URL, or restore or redirect the target.',
  },
  internal_link_to_redirect: {
    category: 'links', severity: 'notice', title: 'Internal link to redirect',
    description: 'A page links to an internal URL that redirects.',
    why: 'Every visit and crawl takes an extra hop that a direct link would save.',
    fix: 'Link directly to the redirect\'s final URL.',
  },
  orphan_page: {
    category: 'links', severity: 'warning', title: 'Orphan page',
    description: 'A page found in the sitemap has no internal links pointing to it.',
    why: 'Pages without internal links get little crawl priority and no internal signals, so they rank poorly.',
    fix: 'Link to the page from relevant pages or navigation, or remove it from the sitemap if it is obsolete.',
  },
  deep_page: {
    category: 'links', severity: 'notice', title: 'Deep page',
    description: 'The page is four or more clicks from the start URL.',
    why: 'Deep pages are crawled less often and signal low importance.',
    fix: 'Flatten the structure with category, hub or related-content links so key pages are within three clicks.',
  },
  canonical_to_redirect: {
    category: 'canonical', severity: 'warning', title: 'Canonical to redirect',
    description: 'The canonical URL redirects elsewhere.',
    why: 'A canonical must be the final indexable URL; pointing at a redirect sends mixed signals.',
    fix: 'Point the canonical at the redirect\'s final URL.',
  },
  canonical_to_error: {
    category: 'canonical', severity: 'critical', title: 'Canonical to error page',
    description: 'The canonical URL answers 4xx or 5xx.',
    why: 'The page asks to be replaced by a page that does not exist, so neither may be indexed.',
    fix: 'Point the canonical at a live 200 URL, usually the page itself.',
  },
  canonical_to_noindex: {
    category: 'canonical', severity: 'warning', title: 'Canonical to noindex page',
    description: 'The canonical URL is marked noindex.',
    why: 'Canonical and noindex contradict each other: one says index that URL, the other says do not.',
    fix: 'Canonicalise to an indexable URL or remove the noindex from the target.',
  },
  canonical_chain: {
    category: 'canonical', severity: 'warning', title: 'Canonical chain',
    description: 'The canonical URL itself declares another canonical.',
    why: 'Search engines may not follow canonical chains, leaving the choice of URL to them.',
    fix: 'Point every canonical directly at the final canonical URL.',
  },
  hreflang_no_return: {
    category: 'hreflang', severity: 'warning', title: 'Hreflang without return link',
    description: 'An hreflang alternate does not link back to this page.',
    why: 'Hreflang must be reciprocal; one-way annotations are ignored.',
    fix: 'Add the matching hreflang link on every alternate, listing the whole set on each page.',
  },
  // The hreflang target findings, one per kind (they replace hreflang_bad_target: the kind says what to fix).
  hreflang_to_redirect: {
    category: 'hreflang', severity: 'warning', title: 'hreflang to a redirect',
    description: 'An hreflang alternate points at a URL that redirects (fetched even when the crawl does not link to it).',
    why: 'Search engines ignore alternates that are not final URLs, so the language version may not be shown to its audience.',
    fix: 'Point the hreflang link at the redirect\'s final URL.',
  },
  hreflang_to_error: {
    category: 'hreflang', severity: 'warning', title: 'hreflang to an error page',
    description: 'An hreflang alternate points at a URL that answers 4xx/5xx or cannot be fetched.',
    why: 'An alternate that does not exist breaks the language cluster: the annotation is ignored.',
    fix: 'Fix or remove the alternate; point it at the live URL of that language version.',
  },
  hreflang_to_noindex: {
    category: 'hreflang', severity: 'warning', title: 'hreflang to a noindex page',
    description: 'An hreflang alternate points at a page with a noindex directive.',
    why: 'A page kept out of the index cannot stand for its language; the signals contradict each other.',
    fix: 'Remove noindex from the alternate or drop it from the hreflang set.',
  },
  hreflang_to_non_canonical: {
    category: 'hreflang', severity: 'warning', title: 'hreflang to a non-canonical URL',
    description: 'An hreflang alternate points at a page whose canonical is another URL.',
    why: 'hreflang and canonical disagree about which URL represents the page; search engines may drop the annotation.',
    fix: 'Point the hreflang link at the canonical URL of each language version.',
  },
  nofollow_to_indexable: {
    category: 'links', severity: 'notice', title: 'Nofollow link to indexable page',
    description: 'An internal nofollow link points to a page that is meant to be indexed.',
    why: 'Nofollow withholds crawling and signals from a page you want to rank.',
    fix: 'Remove rel="nofollow" from links to indexable pages.',
  },
  sitemap_non_200: {
    category: 'sitemap', severity: 'warning', title: 'Sitemap URL not 200',
    description: 'A URL listed in the sitemap redirects or answers an error.',
    why: 'Sitemaps should list only final, live URLs; others waste crawl budget and erode trust in the sitemap.',
    fix: 'Remove or update the URL in the sitemap.',
  },
  sitemap_noindex: {
    category: 'sitemap', severity: 'warning', title: 'Noindex URL in sitemap',
    description: 'A URL listed in the sitemap is noindex.',
    why: 'Listing a page for indexing and forbidding it at the same time sends contradicting signals.',
    fix: 'Remove noindex pages from the sitemap, or remove the noindex.',
  },
  sitemap_blocked: {
    category: 'sitemap', severity: 'warning', title: 'Blocked URL in sitemap',
    description: 'A URL listed in the sitemap is disallowed by robots.txt.',
    why: 'Search engines cannot crawl the URL they are asked to index.',
    fix: 'Allow the URL in robots.txt or remove it from the sitemap.',
  },
  sitemap_non_canonical: {
    category: 'sitemap', severity: 'notice', title: 'Non-canonical URL in sitemap',
    description: 'A URL listed in the sitemap canonicalises to another URL.',
    why: 'Sitemaps should list canonical URLs only; others dilute the sitemap\'s signal.',
    fix: 'List the canonical URL in the sitemap instead.',
  },
  not_in_sitemap: {
    category: 'sitemap', severity: 'notice', title: 'Missing from sitemap',
    description: 'An indexable page found by crawling is not listed in any sitemap.',
    why: 'Sitemaps help search engines find and prioritise pages, especially new or deep ones.',
    fix: 'Add every indexable canonical page to the sitemap, ideally generated automatically.',
  },
  robots_txt_unreachable: {
    category: 'crawl', severity: 'critical', title: 'robots.txt unreachable',
    description: 'robots.txt answered 5xx or could not be fetched.',
    why: 'Google treats an unreachable robots.txt as a full disallow and stops crawling the site.',
    fix: 'Make /robots.txt answer 200 (or 404 if you have no rules) reliably.',
  },
  robots_txt_invalid: {
    category: 'crawl', severity: 'warning', title: 'Invalid robots.txt',
    description: 'robots.txt contains lines or directives that do not parse.',
    why: 'Invalid rules are skipped, so pages may be crawled or blocked against your intent.',
    fix: 'Fix the syntax: user-agent groups followed by allow/disallow lines, and absolute sitemap URLs.',
  },
  external_link_broken: {
    category: 'links', severity: 'warning', title: 'Broken external link',
    description: 'A page links to an external URL that answers 4xx or 5xx or cannot be fetched (checked when checkExternalLinks is on).',
    why: 'Links to dead pages frustrate users and signal a neglected page.',
    fix: 'Update the link to a working URL or remove it.',
  },
  external_link_redirect: {
    category: 'links', severity: 'notice', title: 'External link to redirect',
    description: 'A page links to an external URL that redirects (checked when checkExternalLinks is on).',
    why: 'Redirected links are slower for users and may end somewhere other than intended.',
    fix: 'Link directly to the redirect\'s final URL.',
  },
  // ── SEO depth, round two (issue 14) ──
  duplicate_h2: {
    category: 'headings', severity: 'notice', title: 'Duplicate H2',
    description: 'Several indexable pages share the same first H2 (per language).',
    why: 'Repeated subheadings across pages suggest templated or duplicate sections and give search engines less to tell the pages apart.',
    fix: 'Write subheadings specific to each page\'s content, or move template text out of heading tags.',
  },
  pagination_broken: {
    category: 'links', severity: 'warning', title: 'Broken pagination sequence',
    description: 'A rel="next"/"prev" link points at a page that is an error or redirect, or the target does not point back (its prev/next is not this page).',
    why: 'A broken sequence hides the later pages of a series from crawlers that walk it, and tells them the pages are not one series.',
    fix: 'Point rel next/prev at the neighbouring pages\' final URLs and make each pair point at each other.',
  },
  canonical_unlinked: {
    category: 'canonical', severity: 'warning', title: 'Canonical target not linked',
    description: 'A page names a canonical URL that no crawled page links to.',
    why: 'A canonical is a hint; a target that the site never links to looks unimportant and search engines may pick another URL instead.',
    fix: 'Link internally to the canonical URL (menus, listings, sitemaps) rather than to its variants.',
  },
  sitemap_multiple: {
    category: 'sitemap', severity: 'notice', title: 'URL in several sitemaps',
    description: 'The same URL is listed in more than one sitemap.',
    why: 'Duplicate entries make sitemap reports harder to read and often mean two generators (or a stale sitemap) list the same pages.',
    fix: 'List each URL in exactly one sitemap, and remove stale or overlapping sitemaps from the index and robots.txt.',
  },
  follow_and_nofollow_inlinks: {
    category: 'links', severity: 'notice', title: 'Followed and nofollowed internal links',
    description: 'A page receives internal links both with and without rel="nofollow".',
    why: 'Mixed signals: the nofollowed links waste link equity and suggest the page should not be crawled while other links say it should.',
    fix: 'Remove rel="nofollow" from internal links, or nofollow every internal link to pages you really want to keep crawlers from.',
  },
  image_too_large: {
    category: 'images', severity: 'warning', title: 'Image too large',
    description: 'An image of the site that pages show is bigger than the maximum file size (sized once per run from its Content-Length when checkImageSizes is on).',
    why: 'Heavy images are most of a slow page\'s bytes: they delay the largest contentful paint and cost mobile visitors data, and page speed is a ranking signal.',
    fix: 'Compress the image (WebP or AVIF, a sensible quality), resize it to the largest size it is displayed at, and serve smaller variants through srcset.',
    threshold: ['imageMaxBytes', 'bytes'],
  },
};

function build(entries: Record<string, Entry>, scope: CheckScope): CheckDefinition[] {
  return Object.entries(entries).map(([code, e]) => {
    const { threshold, ...rest } = e;
    // The keys of PAGE and SITE are CheckCodes (their Record types say so); Object.entries widens them to string.
    const def: CheckDefinition = { code: code as CheckCode, scope, ...rest };
    if (threshold) def.threshold = { key: threshold[0], default: DEFAULT_THRESHOLDS[threshold[0]], unit: threshold[1] };
    return Object.freeze(def);
  });
}

export const CHECKS: readonly CheckDefinition[] = Object.freeze([...build(PAGE, 'page'), ...build(SITE, 'site')]);

/** Every check by its code. Indexed by CheckCode only: a code known at compile time has a definition, no fallback. */
export const CHECKS_BY_CODE: Readonly<Record<CheckCode, CheckDefinition>> = Object.freeze(
  Object.fromEntries(CHECKS.map((c) => [c.code, c])) as Record<CheckCode, CheckDefinition>,
);

const CHECKS_MAP: ReadonlyMap<string, CheckDefinition> = new Map(CHECKS.map((c) => [c.code, c]));

/**
 * The check of a code that is not known at compile time: findings and summaries read back from the database (written
 * by an older version, whose code may since have been renamed or dropped) and codes from a request. Undefined for an
 * unknown code; every caller says what it shows instead.
 */
export function findCheck(code: string): CheckDefinition | undefined {
  return CHECKS_MAP.get(code);
}
