// Indexing directives from robots meta tags and X-Robots-Tag headers. Like Lighthouse's is-crawlable, a
// directive counts when it is generic or addressed to Googlebot, Bingbot or our own crawler's token: the
// most restrictive one wins, as search engines combine them.
import { CHECKS_BY_CODE } from '../catalogue';
import { truncate } from '../text';
import type { Finding } from '../types';
import type { FindingSink } from './sink';

export interface Directive {
  name: string;
  value: string;
}

/** Directives that take a value after ':' (so "name: x" is not a user-agent prefix). */
const VALUED = new Set(['unavailable_after', 'max-snippet', 'max-image-preview', 'max-video-preview']);
const WEEKDAY = /^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*$/i;

/**
 * Splits a comma-separated directive list. unavailable_after dates such as "Sunday, 01-Jan-2040 15:00:00 GMT"
 * contain a comma, so a lone weekday value is joined with the part after it.
 */
function splitDirectives(parts: string[]): Directive[] {
  const out: Directive[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i].trim();
    if (part === '') continue;
    const colon = part.indexOf(':');
    const name = (colon < 0 ? part : part.slice(0, colon)).trim().toLowerCase();
    let value = colon < 0 ? '' : part.slice(colon + 1).trim();
    if (name === 'unavailable_after' && WEEKDAY.test(value) && i + 1 < parts.length) value = `${value}, ${parts[++i].trim()}`;
    out.push({ name, value });
  }
  return out;
}

/** Directives of a robots meta content attribute. */
export function parseRobotsContent(content: string): Directive[] {
  return splitDirectives(content.split(','));
}

/**
 * X-Robots-Tag value(s) by user agent ('' = all agents). The fetcher joins repeated headers with ", ", so a
 * "bot: directive" part switches the agent for the parts after it, as in Google's own examples.
 */
export function parseXRobotsTag(header: string): Map<string, Directive[]> {
  // Runs of consecutive parts for the same agent, so the weekday-join rule stays within one agent's list.
  const runs: { agent: string; parts: string[] }[] = [];
  let agent = '';
  for (const raw of header.split(',')) {
    let part = raw.trim();
    const m = /^([A-Za-z0-9_.-]+)\s*:\s*(.*)$/.exec(part);
    if (m && !VALUED.has(m[1].toLowerCase())) {
      agent = m[1].toLowerCase();
      part = m[2];
    }
    const last = runs[runs.length - 1];
    if (last && last.agent === agent) last.parts.push(part);
    else runs.push({ agent, parts: [part] });
  }
  const byAgent = new Map<string, Directive[]>();
  for (const run of runs) {
    const list = byAgent.get(run.agent);
    if (list) list.push(...splitDirectives(run.parts));
    else byAgent.set(run.agent, splitDirectives(run.parts));
  }
  return byAgent;
}

export interface Indexing {
  noindex: boolean;
  nofollow: boolean;
  /** An unavailable_after date that has passed: search engines drop the page like a noindex. */
  expired: boolean;
}

interface Source {
  label: string;
  directives: Directive[];
}

/**
 * Applies robots directives: `metas` are the robots-like meta tags found (name lower-cased), `header` the
 * X-Robots-Tag value, `agents` the bot names that count besides the generic ones.
 */
export function checkIndexing(
  sink: FindingSink,
  metas: readonly { name: string; content: string }[],
  header: string | undefined,
  agents: ReadonlySet<string>,
  now: number,
): Indexing {
  const sources: Source[] = [];
  for (const m of metas) sources.push({ label: `meta ${m.name}`, directives: parseRobotsContent(m.content) });
  if (header) {
    for (const [agent, directives] of parseXRobotsTag(header)) {
      if (agent === '' || agents.has(agent)) sources.push({ label: agent ? `X-Robots-Tag ${agent}` : 'X-Robots-Tag', directives });
    }
  }
  const result: Indexing = { noindex: false, nofollow: false, expired: false };
  for (const { label, directives } of sources) {
    for (const d of directives) {
      switch (d.name) {
        case 'noindex':
          result.noindex = true;
          sink.add('noindex', label);
          break;
        case 'nofollow':
          result.nofollow = true;
          sink.add('nofollow', label);
          break;
        case 'none':
          result.noindex = true;
          result.nofollow = true;
          sink.add('noindex', `${label} (none)`);
          sink.add('nofollow', `${label} (none)`);
          break;
        case 'nosnippet':
          sink.add('nosnippet', label);
          break;
        case 'max-snippet':
          if (d.value.trim() === '0') sink.add('nosnippet', `${label} (max-snippet:0)`);
          break;
        case 'noimageindex':
          sink.add('noimageindex', label);
          break;
        case 'unavailable_after': {
          const t = Date.parse(d.value);
          if (!Number.isNaN(t) && t < now) {
            result.expired = true;
            sink.add('unavailable_after', `${d.value} (${label})`);
          }
          break;
        }
      }
    }
  }
  return result;
}

/**
 * The caller's resource_blocked_by_robots finding (analyzePage has no robots.txt): scripts, styles, images or frames
 * of the page that the site's robots.txt disallows, which search engines then cannot use to render the page.
 */
export function blockedResourcesFinding(resources: readonly string[], isAllowed: (url: string) => boolean): Finding | null {
  const blocked = resources.filter((r) => !isAllowed(r));
  if (blocked.length === 0) return null;
  let example = blocked[0];
  try {
    const u = new URL(example);
    example = u.pathname + u.search;
  } catch {
    // keep the URL as it is
  }
  return {
    code: 'resource_blocked_by_robots',
    severity: CHECKS_BY_CODE.resource_blocked_by_robots.severity,
    detail: `${blocked.length} ${blocked.length === 1 ? 'resource' : 'resources'}, e.g. ${truncate(example, 120)}`,
  };
}

/**
 * The caller's blocked_by_robots finding: the page itself is disallowed for the crawler, so it was not fetched (its
 * record is a deliberate skip, robots_disallowed); the finding puts it in the report, the exports and the budgets.
 */
export function blockedPageFinding(): Finding {
  return { code: 'blocked_by_robots', severity: CHECKS_BY_CODE.blocked_by_robots.severity };
}

/** `findings` with `extra` added, still sorted by code (as FindingSink sorts them). */
export function withFinding(findings: readonly Finding[], extra: Finding | null): Finding[] {
  if (extra === null) return [...findings];
  return [...findings, extra].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
