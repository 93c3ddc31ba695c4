// One pass over htmlparser2's parse events that gathers everything the page checks need. Reading the events as
// they come (no DOM is built: the tree was only ever walked once, in document order) keeps analysis cheap next to
// parsing. Strings here may be views into the page's HTML: whatever ends up in a result is copied by the caller.
import { Parser } from 'htmlparser2';
import { cssImageUrls, srcsetUrls } from '../imageSize';

export interface AnchorFacts {
  /** Raw href attribute, null when absent. */
  href: string | null;
  /** rel tokens, lower-cased, space-separated with a leading and trailing space for cheap token tests. */
  rel: string;
  target: string;
  /** Text content, whitespace-collapsed. */
  text: string;
  /** Alt text of images inside the link, collapsed. */
  imgAlt: string;
  /** aria-label, or title, or a marker when aria-labelledby names the link. */
  label: string;
  /** Lighthouse's exemptions for anchors without a usable href: role, named or id'd anchors, aria-current. */
  placeholderOk: boolean;
}

export interface ImageFacts {
  /** The src attribute as written (null without one). */
  src: string | null;
  alt: string | null;
  hasWidth: boolean;
  hasHeight: boolean;
}

export interface LinkTagFacts {
  href: string | null;
  inHead: boolean;
}

export interface HreflangTagFacts {
  lang: string;
  href: string | null;
}

export interface PageFacts {
  htmlLang: string | null;
  titles: string[];
  descriptions: string[];
  /** Robots meta tags addressed to one of the requested names (robots, googlebot, …). */
  robotsMeta: { name: string; content: string }[];
  viewport: boolean;
  cspMeta: boolean;
  metaInBody: number;
  ogTitle: boolean;
  ogDescription: boolean;
  ogImage: boolean;
  baseHref: string | null;
  canonicals: LinkTagFacts[];
  hreflang: HreflangTagFacts[];
  /** Heading levels (1-6) in document order. */
  headingLevels: number[];
  /** Text of each h1, collapsed (image alt included). */
  h1Texts: string[];
  h2Count: number;
  /** Text of each h2, collapsed. */
  h2Texts: string[];
  /**
   * The page's own main content: the text of <main>/<article>/[role=main] when the page has any, else of the body;
   * nav, header, footer, aside, head, script and the like excluded, and link text excluded (a hub page is not the
   * articles it links to). Block boundaries are newlines.
   */
  mainText: string;
  /** mainText without heading text: what the page says, not what its headings are about (soft-404 phrases). */
  proseText: string;
  /** <form> elements. */
  formCount: number;
  /** <link rel=next/prev> hrefs (first of each). */
  relNext: string | null;
  relPrev: string | null;
  /** <meta name="referrer"> with a value. */
  referrerMeta: boolean;
  /** The first element (or "text") inside <head> that is not allowed there and so ends the head early, if any. */
  headInvalid: string | null;
  /** head metadata elements (meta, link, title, base) that come after it and so land in the body. */
  headTagsAfterInvalid: number;
  /** Links and resources written protocol-relative ("//host/x"). */
  protocolRelative: number;
  elementCount: number;
  duplicateIds: string[];
  images: ImageFacts[];
  /** Image URLs beyond <img src>: srcset candidates, CSS backgrounds of <style> blocks and style attributes (raw). */
  moreImages: string[];
  picturesWithoutImg: number;
  anchors: AnchorFacts[];
  /** src/href of img, script, iframe and stylesheet links. */
  resources: string[];
  formActions: string[];
  jsonLd: string[];
}

// Children of these are skipped entirely: raw text (script, style, title, textarea), or not part of the
// rendered DOM (template content; noscript content with scripting on, as crawlers that render see it).
const OPAQUE = new Set(['script', 'style', 'title', 'textarea', 'template', 'noscript', 'xmp', 'iframe', 'noembed', 'noframes']);
/** Subtrees that are not main content. */
const NOT_MAIN = new Set(['nav', 'header', 'footer', 'aside', 'head', 'svg', 'math', 'select', 'button', 'object']);
/** Elements allowed in <head>: any other element (or text) ends the head, as in browsers' parsing. */
const HEAD_OK = new Set(['html', 'head', 'title', 'meta', 'link', 'base', 'script', 'style', 'noscript', 'template']);
/** Phrasing elements: no word break at their boundaries ("wo<b>rd</b>" is one word). */
const INLINE = new Set(['a', 'abbr', 'b', 'bdi', 'bdo', 'cite', 'code', 'data', 'dfn', 'em', 'i', 'kbd', 'mark', 'q', 's', 'samp',
  'small', 'span', 'strong', 'sub', 'sup', 'time', 'u', 'var', 'font', 'label', 'del', 'ins']);
const HEADINGS = new Map<string, number>([['h1', 1], ['h2', 2], ['h3', 3], ['h4', 4], ['h5', 5], ['h6', 6]]);
/** Lighthouse: these only belong on an <a> that has an href. */
const HREF_ASSOCIATED = ['target', 'download', 'ping', 'rel', 'hreflang', 'type', 'referrerpolicy'];

const MAIN_CONTENT = new Set(['main', 'article']);
/** Elements of the head a parser moves to the body once the head has ended early. */
const HEAD_METADATA = new Set(['meta', 'link', 'title', 'base']);
const isProtocolRelative = (v: string): boolean => v.charCodeAt(0) === 47 && v.charCodeAt(1) === 47 || /^\s+\/\//.test(v);

const SVG_BIT = 1;
const NOT_MAIN_BIT = 2;
const ANCHOR_BIT = 4;
const HEADING_BIT = 8;
const PICTURE_BIT = 16;
const BLOCK_BIT = 32;
const MAIN_BIT = 64;
const HEAD_BIT = 128;
/** On an open element: it has a child node (element, text, comment). An empty element ends no block of text. */
const CHILD_BIT = 256;

interface Collector {
  parts: string[];
}
interface AnchorCollector extends Collector {
  alts: string[];
  attribs: Record<string, string>;
}
interface HeadingCollector extends Collector {
  level: number;
}

const collapse = (s: string): string => (/^\S+(?: \S+)*$/.test(s) ? s : s.replace(/\s+/g, ' ').trim());

/** Bound on moreImages per page (analyzePage keeps at most MAX_IMAGES of all image URLs anyway). */
const MAX_MORE_IMAGES = 200;

function pushAll(to: string[], items: string[]): void {
  for (const i of items) to.push(i);
}

function relTokens(v: string | undefined): string {
  return v ? ` ${v.toLowerCase().replace(/\s+/g, ' ').trim()} ` : ' ';
}

/** Parses `html` and gathers the facts. `robotNames` are lower-case meta names read as robots directives. */
export function extractFacts(html: string, robotNames: ReadonlySet<string>): PageFacts {
  const f: PageFacts = {
    htmlLang: null, titles: [], descriptions: [], robotsMeta: [], viewport: false, cspMeta: false, metaInBody: 0,
    ogTitle: false, ogDescription: false, ogImage: false, baseHref: null, canonicals: [], hreflang: [],
    headingLevels: [], h1Texts: [], h2Count: 0, h2Texts: [], mainText: '', proseText: '', formCount: 0, relNext: null, relPrev: null,
    referrerMeta: false, headInvalid: null, headTagsAfterInvalid: 0, protocolRelative: 0, elementCount: 0, duplicateIds: [], images: [],
    moreImages: [], picturesWithoutImg: 0, anchors: [], resources: [], formActions: [], jsonLd: [],
  };
  // Body text (minus the NOT_MAIN subtrees and links), the part of it inside main/article, and both without headings.
  const body: string[] = [];
  const inMain: string[] = [];
  const bodyProse: string[] = [];
  const mainProse: string[] = [];
  let mainDepth = 0;
  let sawMain = false;
  let headDepth = 0;
  const ids = new Set<string>();
  const dupIds = new Set<string>();
  const anchorStack: AnchorCollector[] = [];
  const headingStack: HeadingCollector[] = [];
  const pictureStack: boolean[] = [];
  let svg = 0;
  let notMain = 0;
  let headEnded = false;
  let sawHtml = false;

  const pushText = (s: string): void => {
    if (notMain === 0 && anchorStack.length === 0) {
      body.push(s);
      if (mainDepth > 0) inMain.push(s);
      if (headingStack.length === 0) {
        bodyProse.push(s);
        if (mainDepth > 0) mainProse.push(s);
      }
    }
    if (anchorStack.length > 0) anchorStack[anchorStack.length - 1].parts.push(s);
    if (headingStack.length > 0) headingStack[headingStack.length - 1].parts.push(s);
  };

  // The open elements' bits to undo at their close tag (htmlparser2 closes every element it opens, implied ends too).
  const open: number[] = [];
  // Inside an OPAQUE element nothing is read but its own text (title, script, style): depth 1 is the element itself.
  let opaqueDepth = 0;
  let opaqueName = '';
  let opaqueAttr: Record<string, string> = {};
  let opaqueSvg = 0;
  let opaqueText = '';

  const markChild = (): void => {
    if (open.length > 0) open[open.length - 1] |= CHILD_BIT;
  };

  const onText = (data: string): void => {
    if (opaqueDepth > 0) {
      if (opaqueDepth === 1) opaqueText += data;
      return;
    }
    markChild();
    if (!headEnded && /\S/.test(data)) {
      headEnded = true;
      if (headDepth > 0 && f.headInvalid === null) f.headInvalid = 'text';
    }
    pushText(data);
  };

  const onOpenTag = (name: string, attr: Record<string, string>): void => {
    if (opaqueDepth > 0) {
      opaqueDepth++;
      return;
    }
    markChild();
    f.elementCount++;
    let bits = 0;

    if (!headEnded && !HEAD_OK.has(name)) {
      headEnded = true;
      if (headDepth > 0 && f.headInvalid === null) f.headInvalid = `<${name}>`;
    } else if (f.headInvalid !== null && headDepth > 0 && HEAD_METADATA.has(name)) {
      f.headTagsAfterInvalid++;
    }

    if (attr.style !== undefined && f.moreImages.length < MAX_MORE_IMAGES) pushAll(f.moreImages, cssImageUrls(attr.style));

    switch (name) {
      case 'html':
        if (!sawHtml) {
          sawHtml = true;
          f.htmlLang = attr.lang ?? null;
        }
        break;
      case 'meta': {
        if (svg > 0) break;
        if (headEnded && attr.itemprop === undefined) f.metaInBody++;
        const metaName = attr.name?.trim().toLowerCase();
        const content = attr.content ?? '';
        if (metaName !== undefined) {
          if (metaName === 'description') f.descriptions.push(collapse(content));
          else if (metaName === 'viewport') f.viewport ||= content.trim() !== '';
          else if (robotNames.has(metaName)) f.robotsMeta.push({ name: metaName, content });
        }
        const prop = (attr.property ?? metaName ?? '').trim().toLowerCase();
        if (prop.startsWith('og:') && content.trim() !== '') {
          if (prop === 'og:title') f.ogTitle = true;
          else if (prop === 'og:description') f.ogDescription = true;
          else if (prop === 'og:image' || prop === 'og:image:url' || prop === 'og:image:secure_url') f.ogImage = true;
        }
        if (attr['http-equiv']?.trim().toLowerCase() === 'content-security-policy' && content.trim() !== '') f.cspMeta = true;
        if (metaName === 'referrer' && content.trim() !== '') f.referrerMeta = true;
        break;
      }
      case 'base':
        if (f.baseHref === null && attr.href !== undefined) f.baseHref = attr.href;
        break;
      case 'link': {
        if (svg > 0) break;
        const rel = relTokens(attr.rel);
        if (rel.includes(' canonical ')) f.canonicals.push({ href: attr.href ?? null, inHead: !headEnded });
        if (rel.includes(' alternate ') && attr.hreflang !== undefined) f.hreflang.push({ lang: attr.hreflang, href: attr.href ?? null });
        if (rel.includes(' stylesheet ') && attr.href) f.resources.push(attr.href);
        if (attr.href) {
          if (f.relNext === null && rel.includes(' next ')) f.relNext = attr.href;
          if (f.relPrev === null && (rel.includes(' prev ') || rel.includes(' previous '))) f.relPrev = attr.href;
        }
        break;
      }
      case 'script': {
        if (attr.src) f.resources.push(attr.src);
        break;
      }
      case 'source':
        if (pictureStack.length > 0 && attr.srcset !== undefined && f.moreImages.length < MAX_MORE_IMAGES) pushAll(f.moreImages, srcsetUrls(attr.srcset));
        break;
      case 'img': {
        if (attr.src) f.resources.push(attr.src);
        if (attr.srcset !== undefined && f.moreImages.length < MAX_MORE_IMAGES) pushAll(f.moreImages, srcsetUrls(attr.srcset));
        const alt = attr.alt ?? null;
        f.images.push({ src: attr.src ?? null, alt, hasWidth: attr.width !== undefined, hasHeight: attr.height !== undefined });
        if (pictureStack.length > 0) pictureStack[pictureStack.length - 1] = true;
        if (alt !== null) {
          if (anchorStack.length > 0) anchorStack[anchorStack.length - 1].alts.push(alt);
          if (headingStack.length > 0) headingStack[headingStack.length - 1].parts.push(` ${alt} `);
        }
        break;
      }
      case 'iframe':
        if (attr.src) f.resources.push(attr.src);
        break;
      case 'form':
        f.formCount++;
        if (attr.action !== undefined) f.formActions.push(attr.action);
        break;
      case 'picture':
        bits |= PICTURE_BIT;
        pictureStack.push(false);
        break;
      case 'head':
        bits |= HEAD_BIT;
        headDepth++;
        break;
      case 'a':
        if (attr.href !== undefined && isProtocolRelative(attr.href)) f.protocolRelative++;
        bits |= ANCHOR_BIT;
        anchorStack.push({ parts: [], alts: [], attribs: attr });
        break;
      case 'h2':
        f.h2Count++;
        break;
      case 'svg':
      case 'math':
        bits |= SVG_BIT;
        svg++;
        break;
    }

    if (MAIN_CONTENT.has(name) || attr.role === 'main') {
      bits |= MAIN_BIT;
      mainDepth++;
      sawMain = true;
    }

    const level = HEADINGS.get(name);
    if (level !== undefined && svg === 0) {
      f.headingLevels.push(level);
      bits |= HEADING_BIT;
      headingStack.push({ parts: [], level });
    }

    const id = attr.id;
    if (id !== undefined && id !== '') {
      if (ids.has(id)) dupIds.add(id);
      else ids.add(id);
    }

    if (OPAQUE.has(name)) {
      // Its close undoes nothing (as in the DOM walk this replaces: the bits it set, role=main included, stay).
      opaqueDepth = 1;
      opaqueName = name;
      opaqueAttr = attr;
      opaqueSvg = svg;
      opaqueText = '';
      return;
    }
    if (NOT_MAIN.has(name)) {
      bits |= NOT_MAIN_BIT;
      notMain++;
    }
    if (!INLINE.has(name)) {
      bits |= BLOCK_BIT;
      pushText(' ');
    }
    open.push(bits);
  };

  /** The end of an OPAQUE element: what its own text says (title, JSON-LD, CSS images). */
  const closeOpaque = (): void => {
    if (opaqueName === 'title') {
      if (opaqueSvg === 0) f.titles.push(collapse(opaqueText));
    } else if (opaqueName === 'script') {
      if (opaqueAttr.type?.trim().toLowerCase() === 'application/ld+json') f.jsonLd.push(opaqueText);
    } else if (opaqueName === 'style') {
      if (f.moreImages.length < MAX_MORE_IMAGES) pushAll(f.moreImages, cssImageUrls(opaqueText));
    }
    opaqueText = '';
  };

  const onCloseTag = (): void => {
    if (opaqueDepth > 0) {
      if (--opaqueDepth === 0) closeOpaque();
      return;
    }
    const exitBits = open.pop() as number;
    // An element without children had no exit in the DOM walk this replaces: no line break after it.
    if ((exitBits & ~BLOCK_BIT) === 0) return;
    if (exitBits & SVG_BIT) svg--;
    if (exitBits & MAIN_BIT) mainDepth--;
    if (exitBits & HEAD_BIT) headDepth--;
    if (exitBits & NOT_MAIN_BIT) notMain--;
    if (exitBits & BLOCK_BIT) pushText('\n');
    if (exitBits & HEADING_BIT) {
      const h = headingStack.pop() as HeadingCollector;
      if (h.level === 1) f.h1Texts.push(collapse(h.parts.join('')));
      else if (h.level === 2) f.h2Texts.push(collapse(h.parts.join('')));
    }
    if (exitBits & ANCHOR_BIT) {
      const a = anchorStack.pop() as AnchorCollector;
      const attr = a.attribs;
      const href = attr.href ?? null;
      const name = (attr.name ?? '').trim();
      const role = (attr.role ?? '').trim();
      const ariaCurrent = (attr['aria-current'] ?? '').trim().toLowerCase();
      const placeholderOk = role !== '' || name !== '' || (href === null && attr.id !== undefined)
        || (href !== null && href.trim() === '' && attr.id !== undefined)
        || (href === null && !HREF_ASSOCIATED.some((k) => attr[k] !== undefined) && (ariaCurrent === 'page' || ariaCurrent === 'location'));
      f.anchors.push({
        href,
        rel: relTokens(attr.rel),
        target: (attr.target ?? '').trim().toLowerCase(),
        text: collapse(a.parts.join('')),
        imgAlt: collapse(a.alts.join(' ')),
        label: collapse(attr['aria-label'] ?? attr.title ?? '') || (attr['aria-labelledby'] ? '(aria-labelledby)' : ''),
        placeholderOk,
      });
    }
    if (exitBits & PICTURE_BIT) {
      if (!pictureStack.pop()) f.picturesWithoutImg++;
    }
  };

  // Comments, the doctype and processing instructions are not read, only counted as children (as DOM nodes they were).
  const onOther = (): void => {
    if (opaqueDepth === 0) markChild();
  };
  new Parser({ ontext: onText, onopentag: onOpenTag, onclosetag: onCloseTag, oncomment: onOther, onprocessinginstruction: onOther }).end(html);

  // A main/article that holds no text (an app shell filled by scripts) does not hide the rest of the body.
  const mainJoined = sawMain ? inMain.join('') : '';
  const useMain = /\S/.test(mainJoined);
  f.mainText = useMain ? mainJoined : body.join('');
  f.proseText = (useMain ? mainProse : bodyProse).join('');
  for (const r of f.resources) if (isProtocolRelative(r)) f.protocolRelative++;
  f.duplicateIds = [...dupIds];
  return f;
}
