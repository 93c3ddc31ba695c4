// SSRF guard: decides which network addresses the crawler may connect to.
//
// Two checkpoints, because neither alone is enough:
//  - `guardedLookup` runs inside the socket's connect (undici `connect: { lookup }`), so the address that is
//    actually dialled is the one checked: this catches redirects to internal names and DNS answers that change
//    between requests (rebinding).
//  - `checkUrlTarget` runs before a request, because Node skips `lookup` entirely for IP-literal hosts
//    (`http://10.0.0.1/`, `http://[::1]/`, `http://2130706433/` which WHATWG URL normalizes to 127.0.0.1).
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export const BLOCKED_TARGET_CODE = 'SITESWEEP_BLOCKED_TARGET';

/**
 * The one target policy (DESIGN.md "Targets"), applied to every way a URL enters: the API for runs, batches and
 * options.sitemaps, and the worker's Fetcher for every request it makes (seeds, robots.txt, sitemaps, redirects hop by
 * hop, canonical/hreflang and link targets it crawls, external link checks).
 *  - Public unicast addresses: always allowed.
 *  - Loopback (127.0.0.0/8, ::1): only with `allowPrivateTargets` (ALLOW_PRIVATE_TARGETS) — auditing a local site.
 *  - Any other private/special address (10/8, 192.168/16, CGNAT, unique-local, …): only when `allowlist`
 *    (TARGET_ALLOWLIST) names its host, the address or a CIDR containing it.
 *  - Link-local (169.254.0.0/16 with the cloud metadata address, fe80::/10): only by an allowlist IP or CIDR that lies
 *    inside the link-local range itself — never by a host name, a broader CIDR or ALLOW_PRIVATE_TARGETS.
 */
export interface TargetPolicy {
  /** Allow loopback targets (ALLOW_PRIVATE_TARGETS): a local site, a test fixture. Nothing else. */
  allowPrivateTargets?: boolean;
  /** Host names, IPs or CIDRs allowed even though they are private (TARGET_ALLOWLIST). */
  allowlist?: readonly string[];
}

export class BlockedTargetError extends Error {
  readonly code = BLOCKED_TARGET_CODE;
  constructor(readonly host: string, readonly address: string) {
    super(host === address ? `refusing to connect to ${address}` : `refusing to connect to ${host} (${address})`);
    this.name = 'BlockedTargetError';
  }
}

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

function parseIp(ip: string): Addr | null {
  // Strip URL brackets and zone ids ("fe80::1%eth0") so every spelling Node may hand us parses.
  const bare = ip.replace(/^\[|\]$/g, '');
  // net.isIP is the strict check: ipaddr.isValid also accepts legacy forms like "0x7f.1" that are hostnames here.
  if (isIP(bare.split('%')[0]) === 0) return null;
  try {
    return ipaddr.parse(bare);
  } catch {
    return null;
  }
}

function v4FromParts(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

function isForbiddenParsed(addr: Addr): boolean {
  if (addr.kind() === 'ipv4') {
    // Only ordinary public unicast is fair game; every special range (private, loopback, CGNAT, link-local incl.
    // 169.254.169.254, multicast, broadcast, reserved, documentation, as112…) is refused.
    return (addr as ipaddr.IPv4).range() !== 'unicast';
  }
  const v6 = addr as ipaddr.IPv6;
  const p = v6.parts;
  switch (v6.range()) {
    case 'unicast':
      // ::a.b.c.d (deprecated IPv4-compatible) is "unicast" to ipaddr but may still reach IPv4 space.
      return p.slice(0, 6).every((x) => x === 0);
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return isForbiddenParsed(v4FromParts(p[6], p[7]));
    case 'rfc6052':
      // 64:ff9b::/96 NAT64 carries the IPv4 target in the last 32 bits; the /48 local-use prefix is internal.
      return p[2] !== 0 || isForbiddenParsed(v4FromParts(p[6], p[7]));
    case '6to4': // 2002:AABB:CCDD::/48 tunnels to AA.BB.CC.DD
      return isForbiddenParsed(v4FromParts(p[1], p[2]));
    default:
      // loopback, unspecified, uniqueLocal fc00::/7, linkLocal fe80::/10, multicast, teredo, reserved…
      return true;
  }
}

/** True when `ip` is not a public unicast address (see the ranges above). Non-IP input counts as forbidden. */
export function isForbiddenAddress(ip: string): boolean {
  const addr = parseIp(ip);
  return addr === null ? true : isForbiddenParsed(addr);
}

/** Normalize IPv4-mapped IPv6 to IPv4 so "::ffff:10.0.0.1" matches an allowlist entry "10.0.0.0/8". */
function unmap(addr: Addr): Addr {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

function normalizeHostname(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/**
 * True when `hostOrIp` matches an allowlist entry: hostnames compare case-insensitively (exact match),
 * IPs match an equal IP entry or fall inside a CIDR entry.
 */
export function isAllowedByList(hostOrIp: string, allowlist: readonly string[] | undefined): boolean {
  if (!allowlist || allowlist.length === 0) return false;
  const ip = parseIp(hostOrIp);
  const host = normalizeHostname(hostOrIp.replace(/^\[|\]$/g, ''));
  for (const raw of allowlist) {
    const entry = raw.trim();
    if (ip) {
      const target = unmap(ip);
      if (entry.includes('/') && ipaddr.isValidCIDR(entry)) {
        const [net, bits] = ipaddr.parseCIDR(entry);
        const range = unmap(net);
        // A mapped-IPv4 CIDR ("::ffff:10.0.0.0/104") is converted to its IPv4 prefix length.
        const prefix = range.kind() !== net.kind() ? bits - 96 : bits;
        if (range.kind() === target.kind() && target.match(range, prefix)) return true;
        continue;
      }
      const entryIp = parseIp(entry);
      if (entryIp) {
        const e = unmap(entryIp);
        if (e.kind() === target.kind() && e.toNormalizedString() === target.toNormalizedString()) return true;
        continue;
      }
    }
    if (normalizeHostname(entry) === host) return true;
  }
  return false;
}

/** Loopback, including its IPv4-mapped/compatible IPv6 spellings. */
export function isLoopbackAddress(ip: string): boolean {
  const addr = parseIp(ip);
  if (!addr) return false;
  const a = unmap(addr);
  if (a.kind() === 'ipv4') return (a as ipaddr.IPv4).range() === 'loopback';
  return (a as ipaddr.IPv6).range() === 'loopback';
}

const LINK_LOCAL_V4 = ipaddr.parseCIDR('169.254.0.0/16');
const LINK_LOCAL_V6 = ipaddr.parseCIDR('fe80::/10');

/** Link-local (169.254.0.0/16 incl. the metadata address 169.254.169.254, fe80::/10), including mapped spellings. */
export function isLinkLocalAddress(ip: string): boolean {
  const addr = parseIp(ip);
  if (!addr) return false;
  const a = unmap(addr);
  return a.kind() === 'ipv4' ? a.match(LINK_LOCAL_V4) : a.match(LINK_LOCAL_V6);
}

/** An allowlist entry that names link-local space explicitly: an IP or a CIDR entirely inside 169.254/16 or fe80::/10. */
function explicitLinkLocalEntries(allowlist: readonly string[] | undefined): string[] {
  return (allowlist ?? []).map((e) => e.trim()).filter((entry) => {
    if (entry.includes('/') && ipaddr.isValidCIDR(entry)) {
      const [net, bits] = ipaddr.parseCIDR(entry);
      const n = unmap(net);
      const prefix = n.kind() !== net.kind() ? bits - 96 : bits;
      return n.kind() === 'ipv4' ? prefix >= 16 && n.match(LINK_LOCAL_V4) : prefix >= 10 && n.match(LINK_LOCAL_V6);
    }
    return parseIp(entry) !== null && isLinkLocalAddress(entry);
  });
}

/** May we connect to `address`, reached through the name `host`? */
export function isTargetAllowed(host: string, address: string, policy: TargetPolicy): boolean {
  if (!isForbiddenAddress(address)) return true;
  if (isLinkLocalAddress(address)) return isAllowedByList(address, explicitLinkLocalEntries(policy.allowlist));
  if (policy.allowPrivateTargets && isLoopbackAddress(address)) return true;
  return isAllowedByList(host, policy.allowlist) || isAllowedByList(address, policy.allowlist);
}

/** Why a target is refused, in words an operator can act on. */
export function blockedTargetAdvice(address: string): string {
  if (isLinkLocalAddress(address)) return 'link-local/metadata addresses are allowed only by an explicit CIDR in TARGET_ALLOWLIST (e.g. 169.254.10.0/24)';
  if (isLoopbackAddress(address)) return "set ALLOW_PRIVATE_TARGETS=true (loopback; the CLI's --allow-private) or list it in TARGET_ALLOWLIST to allow it";
  return 'list it (host, IP or CIDR) in TARGET_ALLOWLIST to allow it';
}

/**
 * Pre-connect check of a URL's host. Only IP literals can be judged here (names are judged at connect time
 * by `guardedLookup`). Returns the refusal, or null when the request may proceed.
 */
export function checkUrlTarget(url: URL, policy: TargetPolicy): BlockedTargetError | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 0) return null;
  return literalAllowed(host, policy) ? null : new BlockedTargetError(host, host);
}

/**
 * Verdicts on IP literals, per policy object (a Fetcher's policy never changes): a crawl of a site addressed by IP
 * checks its host on every request, and parsing the address each time was ~4% of the fetcher's allocations.
 */
const literalVerdicts = new WeakMap<TargetPolicy, Map<string, boolean>>();
const MAX_LITERAL_VERDICTS = 1_024;

function literalAllowed(host: string, policy: TargetPolicy): boolean {
  let verdicts = literalVerdicts.get(policy);
  if (!verdicts) {
    verdicts = new Map();
    literalVerdicts.set(policy, verdicts);
  }
  let allowed = verdicts.get(host);
  if (allowed === undefined) {
    allowed = isTargetAllowed(host, host, policy);
    if (verdicts.size >= MAX_LITERAL_VERDICTS) verdicts.clear();
    verdicts.set(host, allowed);
  }
  return allowed;
}

type LookupCallback = Parameters<LookupFunction>[2];

/**
 * A `dns.lookup`-compatible function (the shape undici passes on to `net.connect`/`tls.connect`) that resolves
 * the name and refuses it when ANY resolved address is forbidden, so an attacker cannot mix a public and a
 * private answer and hope the private one gets dialled.
 */
export function createGuardedLookup(policy: TargetPolicy, resolve: typeof dns.lookup = dns.lookup): LookupFunction {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    // Always ask for every address so the check sees the whole answer, then reply in the shape requested.
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => !isTargetAllowed(hostname, a.address, policy));
      if (bad) {
        callback(new BlockedTargetError(hostname, bad.address), '', 0);
        return;
      }
      if (options.all) {
        (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      } else if (list.length === 0) {
        callback(Object.assign(new Error(`no addresses for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      } else {
        callback(null, list[0].address, list[0].family);
      }
    });
  };
}

/** The guard with no allowlist: blocks every non-public address. */
export const guardedLookup: LookupFunction = createGuardedLookup({});
