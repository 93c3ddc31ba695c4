// Text helpers of the check layer: string copying (memory), whitespace, words, hashes for duplicates.
import { hash } from 'node:crypto';

/**
 * A flat copy of `s` that does not share storage with the string it was cut from. V8 keeps substrings as
 * slices of their parent, so a title taken from a page would otherwise keep the whole HTML alive.
 */
export function copyString(s: string): string {
  return s.length === 0 ? '' : (' ' + s).slice(1);
}

/** Whether char code `c` is whitespace as JavaScript's \s means it (WhiteSpace and LineTerminator: Zs, tab, VT, FF, BOM, LF, CR, LS, PS). */
export function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f
    || c === 0x3000 || c === 0xfeff;
}

/** Whitespace runs (including NBSP and newlines) to one space, trimmed. */
export function collapseWhitespace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Length in code points, so an emoji counts as one character as users see it. */
export function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // skip low surrogates: each pair counts once
  }
  return n;
}

/** At most `max` code points, with an ellipsis when cut. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const cps = Array.from(s);
  return cps.length <= max ? s : `${cps.slice(0, Math.max(0, max - 1)).join('')}…`;
}

// Scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar): splitting on whitespace
// would count a Thai sentence as one word. Only text containing one of them pays for Intl.Segmenter's dictionaries.
const NO_SPACE_SCRIPTS = /[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uaa60-\uaa7f]/;
const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;
let segmenter: Intl.Segmenter | null = null;

/** Letters, digits and anything non-ASCII except general and CJK punctuation. */
function isWordChar(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
  return !((c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xff0f) || c === 0xa0 || c === 0xab || c === 0xbb);
}

/** The token without leading and trailing punctuation ("world!" → "world"), or '' when nothing is left. */
function trimToken(token: string): string {
  let start = 0;
  let end = token.length;
  while (start < end && !isWordChar(token.charCodeAt(start))) start++;
  while (end > start && !isWordChar(token.charCodeAt(end - 1))) end--;
  if (start === end) return '';
  const w = start === 0 && end === token.length ? token : token.slice(start, end);
  // Non-ASCII tokens made only of symbols (emoji, arrows) are not words.
  for (let i = 0; i < w.length; i++) if (w.charCodeAt(i) < 128) return w;
  return HAS_WORD_CHAR.test(w) ? w : '';
}

/** Whether `text` contains a script written without spaces (so words() segments it with Intl.Segmenter). */
export function hasNoSpaceScript(text: string): boolean {
  return NO_SPACE_SCRIPTS.test(text);
}

/**
 * Lower-cased words of `text`: whitespace-separated tokens trimmed of surrounding punctuation, keeping those
 * with a letter or digit; in text with Thai, Lao, Khmer, Burmese, Chinese or Japanese, the word-like segments of
 * Intl.Segmenter (ICU's dictionary word breaks) instead.
 */
export function words(text: string): string[] {
  const lower = text.toLowerCase();
  const out: string[] = [];
  if (NO_SPACE_SCRIPTS.test(lower)) {
    segmenter ??= new Intl.Segmenter('und', { granularity: 'word' });
    for (const s of segmenter.segment(lower)) {
      if (!s.isWordLike) continue;
      const w = trimToken(s.segment);
      if (w !== '') out.push(w);
    }
    return out;
  }
  spaceSeparatedWords(lower, out, false);
  return out;
}

/** A char of NO_SPACE_SCRIPTS (the same ranges, by code unit). */
function isNoSpaceScriptChar(c: number): boolean {
  return (c >= 0x0e00 && c <= 0x0eff) || (c >= 0x1000 && c <= 0x109f) || (c >= 0x1780 && c <= 0x17ff) || (c >= 0x19e0 && c <= 0x19ff)
    || (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff)
    || (c >= 0xaa60 && c <= 0xaa7f);
}

// The words' [start, end) offsets of the last scanWordRanges, two per word (grown as pages need).
let wordRanges = new Int32Array(8192);
/** Scratch grown beyond this for a huge page is dropped at the next call (each analysis thread keeps its own). */
const MAX_KEPT_SCRATCH_BYTES = 1 << 20;

/**
 * Finds the words of lower-cased `lower` split at whitespace (trimToken of each token), by char codes: no split array
 * and no substring (but for the rare non-ASCII token that may be only symbols); their offsets go to wordRanges.
 * Returns how many; with `bail`, -1 at a char of a script without spaces or a BOM (collapsedWords then takes the slow
 * path).
 */
function scanWordRanges(lower: string, bail: boolean): number {
  if (wordRanges.byteLength > MAX_KEPT_SCRATCH_BYTES) wordRanges = new Int32Array(8192);
  const n = lower.length;
  let count = 0;
  let start = -1;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? lower.charCodeAt(i) : 32;
    if (bail && c >= 0x0e00 && (c === 0xfeff || isNoSpaceScriptChar(c))) return -1;
    if (!isSpace(c)) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    // trimToken on [a, b) without the token's substring.
    let a = start;
    let b = i;
    start = -1;
    while (a < b && !isWordChar(lower.charCodeAt(a))) a++;
    while (b > a && !isWordChar(lower.charCodeAt(b - 1))) b--;
    if (a === b) continue;
    let ascii = false;
    for (let j = a; j < b; j++) {
      if (lower.charCodeAt(j) < 128) {
        ascii = true;
        break;
      }
    }
    // Non-ASCII tokens made only of symbols (emoji, arrows) are not words.
    if (!ascii && !HAS_WORD_CHAR.test(lower.slice(a, b))) continue;
    if (2 * count + 2 > wordRanges.length) {
      const grown = new Int32Array(wordRanges.length * 2);
      grown.set(wordRanges);
      wordRanges = grown;
    }
    wordRanges[2 * count] = a;
    wordRanges[2 * count + 1] = b;
    count++;
  }
  return count;
}

/** Appends the words of lower-cased `lower` (scanWordRanges); false when it bailed. */
function spaceSeparatedWords(lower: string, out: string[], bail: boolean): boolean {
  const count = scanWordRanges(lower, bail);
  if (count < 0) return false;
  for (let k = 0; k < count; k++) out.push(lower.slice(wordRanges[2 * k], wordRanges[2 * k + 1]));
  return true;
}

/**
 * words(collapseWhitespace(text)), without building the collapsed copy where it cannot change the result: words()
 * splits at any whitespace run anyway. It can where Intl.Segmenter runs (its word breaks depend on which whitespace
 * separates words) and where a BOM (U+FEFF, whitespace to \s but case-ignorable to toLowerCase) decides whether a
 * Σ is word-final (ς) or not (σ).
 */
export function collapsedWords(text: string): string[] {
  const out: string[] = [];
  // One scan: it gives up at the first char that needs the slow path (scripts and case mapping are unaffected by toLowerCase).
  return spaceSeparatedWords(text.toLowerCase(), out, true) ? out : words(collapseWhitespace(text));
}

/** What a page keeps of its main text's words: how many, the sha1 of them joined by spaces, their SimHash. */
export interface WordDigest {
  count: number;
  /** sha1Hex(words.join(' ')); null without words. */
  contentHash: string | null;
  /** simhash64(words); null without words. */
  simhash: string | null;
}

// Per-thread scratch of wordDigest, grown as pages need (and dropped after a huge one): word hashes, and the UTF-8 of
// the joined words.
let digestHashes = new Int32Array(4096);
let digestBytes = new Uint8Array(64 * 1024);

/**
 * The digest of collapsedWords(text) without the words themselves: each word found by scanWordRanges is hashed (fnv1a)
 * and its UTF-8 appended to one byte buffer, so no substring per word, no array and no joined string are made (on a
 * 25 KB page they were ~3,000 strings, and half the cost of the words, hashes and SimHash). Text that collapsedWords
 * reads with Intl.Segmenter (scripts without spaces) or through a BOM takes that path instead. Equal to
 * digestOf(collapsedWords(text)), tested on edge cases and random texts (test/unit/analyzePage.test.ts).
 */
export function wordDigest(text: string): WordDigest {
  const lower = text.toLowerCase();
  if (digestBytes.byteLength > MAX_KEPT_SCRATCH_BYTES) digestBytes = new Uint8Array(64 * 1024);
  if (digestHashes.byteLength > MAX_KEPT_SCRATCH_BYTES) digestHashes = new Int32Array(4096);
  const count = scanWordRanges(lower, true);
  if (count < 0) return digestOf(collapsedWords(text));
  if (count === 0) return { count: 0, contentHash: null, simhash: null };
  if (count > digestHashes.length) digestHashes = new Int32Array(Math.max(count, digestHashes.length * 2));
  // At most 3 UTF-8 bytes per UTF-16 code unit of the text, and a space between words.
  if (lower.length * 3 + count > digestBytes.length) digestBytes = new Uint8Array(Math.max(lower.length * 3 + count, digestBytes.length * 2));
  const out = digestBytes;
  let bytes = 0;
  for (let k = 0; k < count; k++) {
    const a = wordRanges[2 * k];
    const b = wordRanges[2 * k + 1];
    if (k > 0) out[bytes++] = 32;
    let h = 0x811c9dc5; // fnv1a, as simhash64 hashes each word
    for (let j = a; j < b; j++) {
      const u = lower.charCodeAt(j);
      h ^= u;
      h = Math.imul(h, 0x01000193);
      if (u < 0x80) {
        out[bytes++] = u;
      } else if (u < 0x800) {
        out[bytes++] = 0xc0 | (u >> 6);
        out[bytes++] = 0x80 | (u & 63);
      } else if (u >= 0xd800 && u <= 0xdbff && j + 1 < b && (lower.charCodeAt(j + 1) & 0xfc00) === 0xdc00) {
        // A surrogate pair: one code point, 4 bytes; fnv1a takes both code units.
        const lo = lower.charCodeAt(j + 1);
        const cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        out[bytes++] = 0xf0 | (cp >> 18);
        out[bytes++] = 0x80 | ((cp >> 12) & 63);
        out[bytes++] = 0x80 | ((cp >> 6) & 63);
        out[bytes++] = 0x80 | (cp & 63);
        j++;
        h ^= lo;
        h = Math.imul(h, 0x01000193);
      } else if (u >= 0xd800 && u <= 0xdfff) {
        // A lone surrogate: UTF-8 has none; encoders write U+FFFD, as hashing the string would.
        out[bytes++] = 0xef;
        out[bytes++] = 0xbf;
        out[bytes++] = 0xbd;
      } else {
        out[bytes++] = 0xe0 | (u >> 12);
        out[bytes++] = 0x80 | ((u >> 6) & 63);
        out[bytes++] = 0x80 | (u & 63);
      }
    }
    digestHashes[k] = h >>> 0;
  }
  return { count, contentHash: hash('sha1', out.subarray(0, bytes), 'hex'), simhash: simhashOfWordHashes(digestHashes, count) };
}

/** The digest of a list of words (the slow path of wordDigest, and its definition). */
export function digestOf(ws: readonly string[]): WordDigest {
  return ws.length === 0
    ? { count: 0, contentHash: null, simhash: null }
    : { count: ws.length, contentHash: sha1Hex(ws.join(' ')), simhash: simhash64(ws) };
}

export function countWords(text: string): number {
  return words(text).length;
}

// Common English function words: English prose has a third or more of them, other languages (and placeholder
// gibberish) almost none, so they tell English text from text that merely sits under lang="en".
const ENGLISH_FUNCTION_WORDS = new Set(['the', 'a', 'an', 'and', 'or', 'of', 'to', 'in', 'on', 'at', 'for', 'with', 'is', 'are', 'was',
  'were', 'be', 'it', 'this', 'that', 'as', 'by', 'from', 'you', 'we', 'they', 'he', 'she', 'not', 'but', 'have', 'has', 'can', 'will', 'your', 'our']);

/**
 * s[start, end) (at most 4 chars) lower-cased (ASCII letters only, as in a word of fleschReadingEase) as base-128
 * digits: equal keys for equal short ASCII words, -1 when a char is beyond 'z' (no function word has one).
 */
function wordKey(s: string, start: number, end: number): number {
  let k = 0;
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    else if (c > 122) return -1;
    k = k * 128 + c;
  }
  return k;
}

const FUNCTION_WORD_KEYS: ReadonlySet<number> = new Set([...ENGLISH_FUNCTION_WORDS].map((w) => wordKey(w, 0, w.length)));

const isVowel = (c: number): boolean => c === 97 || c === 101 || c === 105 || c === 111 || c === 117 || c === 121; // a e i o u y

/**
 * English syllables of a lower-case ASCII word, the usual estimate: vowel runs, minus a silent final e (or the e of
 * a final -es/-ed after a consonant other than l), at least one; words of up to 3 letters have one.
 */
export function englishSyllables(word: string): number {
  return syllablesIn(word, 0, word.length);
}

/** englishSyllables of s[start, end), on char codes (no substring): letters are folded to lower case. */
function syllablesIn(s: string, start: number, end: number): number {
  const n = end - start;
  if (n <= 3) return 1;
  let groups = 0;
  let prevVowel = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) | 0x20;
    const v = isVowel(c) && !(i === start && c === 121); // a leading y is a consonant
    if (v && !prevVowel) groups++;
    prevVowel = v;
  }
  return syllablesFromGroups(s, start, end, groups);
}

/** Syllables of the word s[start, end) (4 letters or more) with `groups` vowel runs: the silent-e rule applied. */
function syllablesFromGroups(s: string, start: number, end: number, vowelGroups: number): number {
  let groups = vowelGroups;
  const last = s.charCodeAt(end - 1) | 0x20;
  const e = last === 101 ? end - 1 : (last === 115 || last === 100) && (s.charCodeAt(end - 2) | 0x20) === 101 ? end - 2 : -1;
  if (e > start && groups > 1) {
    const before = s.charCodeAt(e - 1) | 0x20;
    if (!isVowel(before) && before !== 108) groups--;
  }
  return Math.max(1, groups);
}

const MAX_READABILITY_CHARS = 30_000;

// fleschReadingEase's character classes of ASCII (one table load instead of a chain of comparisons per char).
const C_LETTER = 1;
const C_VOWEL = 2;
const C_DIGIT = 4;
const C_INNER = 8; // apostrophe, hyphen (and U+2019): part of a word once it has started
const C_WORD = C_LETTER | C_DIGIT;
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const lc = c | 0x20;
  if (lc >= 97 && lc <= 122) CHAR_CLASS[c] = C_LETTER | (isVowel(lc) ? C_VOWEL : 0);
  else if (c >= 48 && c <= 57) CHAR_CLASS[c] = C_DIGIT;
  else if (c === 39 || c === 45) CHAR_CLASS[c] = C_INNER;
}

export interface Readability {
  /** Flesch reading ease: 206.835 − 1.015 × words/sentence − 84.6 × syllables/word (higher is easier). */
  score: number;
  words: number;
  sentences: number;
}

/**
 * Flesch reading ease of English text, or null when the text is too short or does not read as English (too few
 * English function words). Sentences end at . ! ? before a space or the end, and at line breaks (block boundaries
 * in extracted text). One pass over the characters: it runs on every English page.
 */
export function fleschReadingEase(fullText: string, minWords = 100): Readability | null {
  // A sample is enough for a reading score: long pages cost no more than about 5,000 words.
  const len = Math.min(fullText.length, MAX_READABILITY_CHARS);
  const text = fullText;
  let sentences = 0;
  let nWords = 0;
  let syllables = 0;
  let functionWords = 0;
  let inSentence = 0;
  // Hot loop (every English page): a tight inner loop per word (letters, digits, then apostrophes and hyphens too:
  // "don't", "well-known") counting vowel groups and building the function-word key (wordKey of its first 4 chars, -1
  // after a non-ASCII char) on the way; no closures, no substrings.
  let i = 0;
  while (i <= len) {
    const raw = i < len ? text.charCodeAt(i) : 10;
    const cls = raw < 128 ? CHAR_CLASS[raw] : 0;
    if ((cls & C_WORD) !== 0) {
      const start = i;
      let letters = (cls & C_LETTER) !== 0;
      let prevVowel = (cls & C_VOWEL) !== 0 && (raw | 0x20) !== 121; // a leading y is a consonant
      let groups = prevVowel ? 1 : 0;
      let key = raw | 0x20;
      for (i++; i < len; i++) {
        const c = text.charCodeAt(i);
        const k = c < 128 ? CHAR_CLASS[c] : c === 0x2019 ? C_INNER : 0;
        if (k === 0) break;
        const v = (k & C_VOWEL) !== 0;
        if (v && !prevVowel) groups++;
        prevVowel = v;
        if ((k & C_LETTER) !== 0) letters = true;
        if (key >= 0 && i - start < 4) key = c < 128 ? key * 128 + (c | 0x20) : -1;
      }
      if (letters) {
        inSentence++;
        syllables += i - start <= 3 ? 1 : syllablesFromGroups(text, start, i, groups);
        if (i - start <= 4 && FUNCTION_WORD_KEYS.has(key)) functionWords++;
      }
      continue; // the char that ended the word is read next, as a separator
    }
    let end = raw === 10;
    if (!end && (raw === 46 || raw === 33 || raw === 63)) {
      const next = i + 1 < len ? text.charCodeAt(i + 1) : 32;
      end = next === 32 || next === 10 || next === 9 || next === 13 || next === 160;
    }
    if (end && inSentence > 0) {
      sentences++;
      nWords += inSentence;
      inSentence = 0;
    }
    i++;
  }
  if (nWords < minWords || functionWords < nWords * 0.15) return null;
  const score = 206.835 - 1.015 * (nWords / sentences) - 84.6 * (syllables / nWords);
  return { score: Math.round(score * 10) / 10, words: nWords, sentences };
}

export function sha1Hex(s: string): string {
  return hash('sha1', s, 'hex');
}

// 32-bit FNV-1a over UTF-16 code units, then murmur3's finalizer so every output bit depends on every input bit.
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

// SimHash needs, for each of the 64 bits, how many shingle hashes have it set. Counting bit by bit costs 64
// steps per shingle; instead each hash byte adds a precomputed "spread" word holding its bits in separate
// 8-bit lanes (bits 0-3 in one table, 4-7 in the other), 16 adds per shingle, flushed before a lane overflows.
const SPREAD_LO = new Uint32Array(256);
const SPREAD_HI = new Uint32Array(256);
for (let v = 0; v < 256; v++) {
  for (let i = 0; i < 4; i++) {
    if ((v >>> i) & 1) SPREAD_LO[v] += 1 << (8 * i);
    if ((v >>> (i + 4)) & 1) SPREAD_HI[v] += 1 << (8 * i);
  }
}

/** Adds the 16 lane words (4 counts of 8 bits each) to the 64 bit counts. */
function flushLanes(ones: Int32Array, lanes: Int32Array): void {
  for (let k = 0; k < 8; k++) {
    for (let half = 0; half < 2; half++) {
      const acc = lanes[2 * k + half];
      for (let lane = 0; lane < 4; lane++) ones[8 * k + 4 * half + lane] += (acc >>> (8 * lane)) & 255;
    }
  }
}

/**
 * 64-bit SimHash (Charikar) of the word 3-shingles of `ws`, as 16 hex chars; null without words.
 * Shingle hashes are combined from per-word hashes, so no shingle string is ever built.
 */
export function simhash64(ws: readonly string[]): string | null {
  if (ws.length === 0) return null;
  // Int32Array, not Uint32Array: values stay small integers in the hot loops (same bits, so the same hashes).
  const wh = new Int32Array(ws.length);
  for (let i = 0; i < ws.length; i++) wh[i] = fnv1a(ws[i]);
  return simhashOfWordHashes(wh, ws.length);
}

/** simhash64 of the words whose fnv1a hashes are wh[0, count) (count > 0). */
function simhashOfWordHashes(wh: Int32Array, count: number): string {
  // The features (two 32-bit halves each): word 3-shingles, or the words themselves when there are fewer than 3.
  const short = count < 3;
  const n = short ? count : count - 2;
  const los = new Int32Array(n);
  const his = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const lo = short ? fmix32(wh[i]) : fmix32(Math.imul(wh[i], 0x9e3779b1) ^ rotl(wh[i + 1], 11) ^ rotl(wh[i + 2], 22));
    los[i] = lo;
    his[i] = short ? fmix32(wh[i] ^ 0x9e3779b9) : fmix32(lo ^ 0x5bd1e995);
  }
  const ones = new Int32Array(64);
  const lanes = new Int32Array(16);
  // Lane words in locals, unrolled ([byte k][low/high nibble]); flushed before an 8-bit lane can overflow.
  let l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0, l8 = 0, l9 = 0, l10 = 0, l11 = 0, l12 = 0, l13 = 0, l14 = 0, l15 = 0;
  let pending = 0;
  for (let i = 0; i < n; i++) {
    const lo = los[i];
    const hi = his[i];
    let b = lo & 255;
    l0 = (l0 + SPREAD_LO[b]) | 0; l1 = (l1 + SPREAD_HI[b]) | 0;
    b = (lo >>> 8) & 255;
    l2 = (l2 + SPREAD_LO[b]) | 0; l3 = (l3 + SPREAD_HI[b]) | 0;
    b = (lo >>> 16) & 255;
    l4 = (l4 + SPREAD_LO[b]) | 0; l5 = (l5 + SPREAD_HI[b]) | 0;
    b = lo >>> 24;
    l6 = (l6 + SPREAD_LO[b]) | 0; l7 = (l7 + SPREAD_HI[b]) | 0;
    b = hi & 255;
    l8 = (l8 + SPREAD_LO[b]) | 0; l9 = (l9 + SPREAD_HI[b]) | 0;
    b = (hi >>> 8) & 255;
    l10 = (l10 + SPREAD_LO[b]) | 0; l11 = (l11 + SPREAD_HI[b]) | 0;
    b = (hi >>> 16) & 255;
    l12 = (l12 + SPREAD_LO[b]) | 0; l13 = (l13 + SPREAD_HI[b]) | 0;
    b = hi >>> 24;
    l14 = (l14 + SPREAD_LO[b]) | 0; l15 = (l15 + SPREAD_HI[b]) | 0;
    if (++pending === 255 || i === n - 1) {
      lanes[0] = l0; lanes[1] = l1; lanes[2] = l2; lanes[3] = l3; lanes[4] = l4; lanes[5] = l5; lanes[6] = l6; lanes[7] = l7;
      lanes[8] = l8; lanes[9] = l9; lanes[10] = l10; lanes[11] = l11; lanes[12] = l12; lanes[13] = l13; lanes[14] = l14; lanes[15] = l15;
      flushLanes(ones, lanes);
      l0 = l1 = l2 = l3 = l4 = l5 = l6 = l7 = l8 = l9 = l10 = l11 = l12 = l13 = l14 = l15 = 0;
      pending = 0;
    }
  }
  // A bit is set when more than half of the shingles have it.
  let lo = 0;
  let hi = 0;
  for (let b = 0; b < 32; b++) {
    if (ones[b] * 2 > n) lo |= 1 << b;
    if (ones[32 + b] * 2 > n) hi |= 1 << b;
  }
  return hex32(hi) + hex32(lo);
}

/** Set bits of a 32-bit value (SimHash distances). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Share of equal bits of two SimHashes, 0..1 (1 = identical). Unrelated texts land near 0.5; pages that
 * differ by a few sentences stay above about 0.9.
 */
export function simhashSimilarity(a: string, b: string): number {
  if (!/^[0-9a-f]{16}$/i.test(a) || !/^[0-9a-f]{16}$/i.test(b)) throw new RangeError('simhash must be 16 hex chars');
  const dHi = parseInt(a.slice(0, 8), 16) ^ parseInt(b.slice(0, 8), 16);
  const dLo = parseInt(a.slice(8), 16) ^ parseInt(b.slice(8), 16);
  return 1 - (popcount32(dHi) + popcount32(dLo)) / 64;
}
