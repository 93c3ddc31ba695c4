// Estimated rendered width of search-result titles and snippets. Result pages set titles in Arial 20px
// and snippets in Arial 14px; widths below are Arial's advance widths in 1/1000 em (metric-compatible
// with Helvetica), so width(px) = sum(widths) * fontSize / 1000. An estimate, like every SERP preview.

/** Advance widths (1/1000 em) of Arial regular, ASCII and Latin-1 plus common typographic marks. */
const ARIAL_WIDTHS: ReadonlyArray<readonly [chars: string, width: number]> = [
  [' !,./:;I[\\]ft\u00a0\u00b7\u00cc\u00cd\u00ce\u00cf\u00ec\u00ed\u00ee\u00ef', 278],
  ['ijl', 222],
  ['"', 355],
  ["'", 191],
  ['#$0123456789?L_abdeghnopqu\u00a2\u00a3\u00a4\u00a5\u00a7\u00b5\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e8\u00e9\u00ea\u00eb\u00f0\u00f1\u00f2\u00f3\u00f4\u00f5\u00f6\u00f9\u00fa\u00fb\u00fc\u00fe\u20ac\u2013\u2020\u2021', 556],
  ['%', 889],
  ['&ABEKPSVXY\u00c0\u00c1\u00c2\u00c3\u00c4\u00c5\u00c8\u00c9\u00ca\u00cb\u00dd\u00de', 667],
  ['()-`r\u00a1\u00a8\u00ad\u00af\u00b2\u00b3\u00b4\u00b8\u00b9\u201c\u201d\u201e\u2039\u203a', 333],
  ['*', 389],
  ['+<=>~\u00ac\u00b1\u00d7\u00f7', 584],
  ['@', 1015],
  ['CDHNRUw\u00c7\u00d0\u00d1\u00d9\u00da\u00db\u00dc', 722],
  ['FTZ', 611],
  ['GOQ\u00d2\u00d3\u00d4\u00d5\u00d6\u00d8', 778],
  ['J', 500],
  ['M', 833],
  ['W', 944],
  ['^', 469],
  ['ckvsxyz\u00e7\u00fd\u00ff', 500],
  ['m', 833],
  ['{}', 334],
  ['|\u00a6', 260],
  ['\u00a9\u00ae', 737],
  ['\u00aa', 370],
  ['\u00ab\u00bb', 556],
  ['\u00b0', 400],
  ['\u00b6', 537],
  ['\u00ba', 365],
  ['\u00bc\u00bd\u00be', 834],
  ['\u00bf\u00df\u00f8', 611],
  ['\u00c6\u2014\u2026\u2030\u2122', 1000],
  ['\u00e6', 889],
  ['\u2018\u2019\u201a', 222],
  ['\u2022', 350],
];

const WIDTHS = new Map<number, number>();
for (const [chars, width] of ARIAL_WIDTHS) for (const ch of chars) WIDTHS.set(ch.codePointAt(0) as number, width);

/** Width used for characters outside the table: the average Latin lower-case advance. */
const DEFAULT_WIDTH = 556;
/** CJK ideographs, kana, Hangul and full-width forms are one em wide in every fallback font. */
const FULL_WIDTH = 1000;

function isWide(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3)
    || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60)
    || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd);
}

/** Sum of advance widths in 1/1000 em; integer arithmetic keeps results exact and deterministic. */
export function textEmUnits(text: string): number {
  let units = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    const w = WIDTHS.get(cp);
    if (w !== undefined) units += w;
    else if (cp < 0x20 || (cp >= 0x300 && cp <= 0x36f) || cp === 0x200b || cp === 0x200d || cp === 0xfe0f) continue; // controls, combining marks, zero-width
    else units += isWide(cp) ? FULL_WIDTH : DEFAULT_WIDTH;
  }
  return units;
}

/** Estimated width in px of `text` set in Arial at `fontSizePx`. */
export function textPixelWidth(text: string, fontSizePx: number): number {
  return (textEmUnits(text) * fontSizePx) / 1000;
}

export const TITLE_FONT_PX = 20;
export const DESCRIPTION_FONT_PX = 14;

/** Estimated width of a results-page title (Arial 20px). */
export function titlePixelWidth(title: string): number {
  return textPixelWidth(title, TITLE_FONT_PX);
}

/** Estimated width of a results-page snippet (Arial 14px). */
export function descriptionPixelWidth(description: string): number {
  return textPixelWidth(description, DESCRIPTION_FONT_PX);
}
