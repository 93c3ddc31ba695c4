// Unit tests of the SSRF guard: address classification, allowlists, URL literal checks and the connect-time lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type dns from 'node:dns';
import {
  isTargetAllowed,
  BLOCKED_TARGET_CODE,
  checkUrlTarget,
  createGuardedLookup,
  isAllowedByList,
  isForbiddenAddress,
} from '../../src/crawl/ssrfGuard';

const FORBIDDEN: Array<[string, string]> = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback /8'],
  ['10.0.0.1', 'private 10/8'],
  ['172.16.0.1', 'private 172.16/12 low'],
  ['172.31.255.255', 'private 172.16/12 high'],
  ['192.168.1.1', 'private 192.168/16'],
  ['169.254.169.254', 'cloud metadata (link-local)'],
  ['169.254.0.1', 'link-local'],
  ['100.64.0.1', 'CGNAT'],
  ['100.127.255.255', 'CGNAT high'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', '0/8'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast SSDP'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved 240/4'],
  ['192.0.2.1', 'documentation TEST-NET-1'],
  ['198.18.0.1', 'benchmarking'],
  ['::1', 'IPv6 loopback'],
  ['::', 'IPv6 unspecified'],
  ['fc00::1', 'unique-local fc00::/7'],
  ['fd12:3456:789a::1', 'unique-local fd'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local with zone id'],
  ['ff02::1', 'IPv6 multicast'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback (hex)'],
  ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
  ['::ffff:10.1.2.3', 'IPv4-mapped private'],
  ['::127.0.0.1', 'IPv4-compatible loopback'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 of 169.254.169.254'],
  ['2002:7f00:1::', '6to4 of 127.0.0.1'],
  ['2001:db8::1', 'IPv6 documentation'],
  ['not-an-ip', 'non-IP input'],
  ['0x7f.1', 'legacy hex form is not an IP literal here'],
];

const ALLOWED: Array<[string, string]> = [
  ['93.184.215.14', 'public v4'],
  ['8.8.8.8', 'public v4 DNS'],
  ['172.32.0.1', 'just outside 172.16/12'],
  ['100.128.0.1', 'just outside CGNAT'],
  ['2606:4700:4700::1111', 'public v6'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public'],
  ['64:ff9b::808:808', 'NAT64 of 8.8.8.8'],
  ['2002:808:808::1', '6to4 of 8.8.8.8'],
];

void test('isForbiddenAddress refuses every non-public range', () => {
  for (const [ip, why] of FORBIDDEN) assert.equal(isForbiddenAddress(ip), true, `${ip} (${why}) should be forbidden`);
});

void test('isForbiddenAddress lets public unicast through', () => {
  for (const [ip, why] of ALLOWED) assert.equal(isForbiddenAddress(ip), false, `${ip} (${why}) should be allowed`);
});

void test('isAllowedByList matches hostnames, IPs, CIDRs and mapped forms', () => {
  const list = ['127.0.0.1', '10.0.0.0/8', 'Intranet.Example', 'fd00::/8'];
  assert.equal(isAllowedByList('127.0.0.1', list), true);
  assert.equal(isAllowedByList('::ffff:127.0.0.1', list), true, 'mapped form of an allowed IP');
  assert.equal(isAllowedByList('127.0.0.2', list), false);
  assert.equal(isAllowedByList('10.20.30.40', list), true, 'inside CIDR');
  assert.equal(isAllowedByList('::ffff:10.20.30.40', list), true, 'mapped inside CIDR');
  assert.equal(isAllowedByList('11.0.0.1', list), false);
  assert.equal(isAllowedByList('intranet.example', list), true, 'hostnames compare case-insensitively');
  assert.equal(isAllowedByList('intranet.example.', list), true, 'trailing dot');
  assert.equal(isAllowedByList('evil.intranet.example', list), false, 'no implicit subdomains');
  assert.equal(isAllowedByList('fd00::5', list), true);
  assert.equal(isAllowedByList('[fd00::5]', list), true, 'bracketed URL form');
  assert.equal(isAllowedByList('fc00::5', list), false);
  assert.equal(isAllowedByList('127.0.0.1', undefined), false);
  assert.equal(isAllowedByList('127.0.0.1', []), false);
});

void test('checkUrlTarget blocks IP literals in every spelling WHATWG URL normalizes', () => {
  const blocked = [
    'http://127.0.0.1/',
    'http://2130706433/', // decimal
    'http://0x7f000001/', // hex
    'http://017700000001/', // octal
    'http://0x7f.1/', // mixed short form
    'http://127.1/',
    'http://0/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
    'http://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1:8443/',
  ];
  for (const u of blocked) {
    const err = checkUrlTarget(new URL(u), {});
    assert.ok(err, `${u} should be blocked`);
    assert.equal(err.code, BLOCKED_TARGET_CODE);
  }
  // Names are left to the connect-time lookup; public literals pass.
  assert.equal(checkUrlTarget(new URL('http://localhost/'), {}), null);
  assert.equal(checkUrlTarget(new URL('http://8.8.8.8/'), {}), null);
  // Opt-ins.
  assert.equal(checkUrlTarget(new URL('http://127.0.0.1/'), { allowlist: ['127.0.0.1'] }), null);
  assert.equal(checkUrlTarget(new URL('http://2130706433/'), { allowlist: ['127.0.0.0/8'] }), null);
  assert.equal(checkUrlTarget(new URL('http://[::1]/'), { allowPrivateTargets: true }), null);
  assert.ok(checkUrlTarget(new URL('http://10.0.0.1/'), { allowPrivateTargets: true }), 'private ranges need the allowlist');
  assert.ok(checkUrlTarget(new URL('http://169.254.169.254/'), { allowPrivateTargets: true }));
  assert.ok(checkUrlTarget(new URL('http://169.254.169.254/'), { allowlist: ['127.0.0.1'] }));
});

/** A fake dns.lookup answering from a table, always in the `all: true` shape the guard asks for. */
function fakeResolver(table: Record<string, dns.LookupAddress[]>): typeof dns.lookup {
  const fn = (host: string, _opts: unknown, cb: (err: NodeJS.ErrnoException | null, addrs: dns.LookupAddress[]) => void): void => {
    const hit = table[host];
    queueMicrotask(() => (hit
      ? cb(null, hit)
      : cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), [])));
  };
  return fn as unknown as typeof dns.lookup;
}

type LookupReply = { err: NodeJS.ErrnoException | null; address?: string | dns.LookupAddress[]; family?: number };

function runLookup(lookup: ReturnType<typeof createGuardedLookup>, host: string, options: dns.LookupOptions): Promise<LookupReply> {
  return new Promise((resolve) => {
    lookup(host, options, (err, address, family) => resolve({ err, address, family }));
  });
}

void test('guardedLookup resolves public names in both callback shapes', async () => {
  const lookup = createGuardedLookup({}, fakeResolver({
    'example.com': [{ address: '93.184.215.14', family: 4 }, { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }],
  }));
  const single = await runLookup(lookup, 'example.com', {});
  assert.equal(single.err, null);
  assert.equal(single.address, '93.184.215.14');
  assert.equal(single.family, 4);
  const all = await runLookup(lookup, 'example.com', { all: true });
  assert.equal(all.err, null);
  assert.deepEqual(all.address, [
    { address: '93.184.215.14', family: 4 },
    { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
  ]);
});

void test('guardedLookup refuses a name when ANY answer is private (rebinding, mixed answers)', async () => {
  const lookup = createGuardedLookup({}, fakeResolver({
    'rebind.example': [{ address: '93.184.215.14', family: 4 }, { address: '169.254.169.254', family: 4 }],
    'v6local.example': [{ address: '::1', family: 6 }],
    'mapped.example': [{ address: '::ffff:10.0.0.1', family: 6 }],
  }));
  for (const host of ['rebind.example', 'v6local.example', 'mapped.example']) {
    for (const all of [false, true]) {
      const r = await runLookup(lookup, host, { all });
      assert.equal(r.err?.code, BLOCKED_TARGET_CODE, `${host} all=${all}`);
    }
  }
});

void test('guardedLookup honours allowlist (by name or by address) and allowPrivateTargets', async () => {
  const resolver = fakeResolver({
    'intranet.example': [{ address: '10.1.2.3', family: 4 }],
    'other.example': [{ address: '10.9.9.9', family: 4 }],
  });
  const byName = createGuardedLookup({ allowlist: ['intranet.example'] }, resolver);
  assert.equal((await runLookup(byName, 'intranet.example', {})).address, '10.1.2.3');
  assert.equal((await runLookup(byName, 'other.example', {})).err?.code, BLOCKED_TARGET_CODE);
  const byCidr = createGuardedLookup({ allowlist: ['10.1.0.0/16'] }, resolver);
  assert.equal((await runLookup(byCidr, 'intranet.example', {})).err, null);
  assert.equal((await runLookup(byCidr, 'other.example', {})).err?.code, BLOCKED_TARGET_CODE);
  // ALLOW_PRIVATE_TARGETS means loopback, not every private range.
  const loopbackOnly = createGuardedLookup({ allowPrivateTargets: true }, fakeResolver({
    'other.example': [{ address: '10.9.9.9', family: 4 }],
    'local.example': [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }],
    'meta.example': [{ address: '169.254.169.254', family: 4 }],
  }));
  assert.equal((await runLookup(loopbackOnly, 'other.example', {})).err?.code, BLOCKED_TARGET_CODE);
  assert.equal((await runLookup(loopbackOnly, 'local.example', {})).err, null);
  assert.equal((await runLookup(loopbackOnly, 'meta.example', {})).err?.code, BLOCKED_TARGET_CODE);
});

void test('target policy: loopback by ALLOW_PRIVATE_TARGETS, other private ranges by TARGET_ALLOWLIST, link-local only by explicit CIDR', () => {
  const loop = { allowPrivateTargets: true };
  assert.ok(isTargetAllowed('localhost', '127.0.0.1', loop));
  assert.ok(isTargetAllowed('localhost', '::1', loop));
  assert.ok(isTargetAllowed('x', '::ffff:127.0.0.1', loop));
  for (const a of ['10.0.0.1', '192.168.1.1', '172.16.0.1', '100.64.0.1', 'fd00::1', '169.254.169.254', 'fe80::1', '0.0.0.0']) {
    assert.equal(isTargetAllowed('h', a, loop), false, `${a} not allowed by ALLOW_PRIVATE_TARGETS alone`);
  }
  assert.equal(isTargetAllowed('h', '127.0.0.1', {}), false, 'nothing private by default');
  assert.ok(isTargetAllowed('h', '10.1.2.3', { allowlist: ['10.0.0.0/8'] }));
  assert.ok(isTargetAllowed('intranet', '192.168.1.5', { allowlist: ['intranet'] }));
  // The metadata range: never by a host name, a broader CIDR or ALLOW_PRIVATE_TARGETS; only by a CIDR/IP inside it.
  assert.equal(isTargetAllowed('metadata.internal', '169.254.169.254', { allowlist: ['metadata.internal'] }), false);
  assert.equal(isTargetAllowed('h', '169.254.169.254', { allowlist: ['0.0.0.0/0'] }), false);
  assert.equal(isTargetAllowed('h', '169.254.169.254', { allowlist: ['169.0.0.0/8'] }), false);
  assert.equal(isTargetAllowed('h', '169.254.169.254', { allowPrivateTargets: true, allowlist: ['10.0.0.0/8'] }), false);
  assert.ok(isTargetAllowed('h', '169.254.169.254', { allowlist: ['169.254.0.0/16'] }));
  assert.ok(isTargetAllowed('h', '169.254.10.7', { allowlist: ['169.254.10.0/24'] }));
  assert.equal(isTargetAllowed('h', '169.254.169.254', { allowlist: ['169.254.10.0/24'] }), false);
  assert.ok(isTargetAllowed('h', '::ffff:169.254.169.254', { allowlist: ['169.254.169.254'] }));
  assert.equal(isTargetAllowed('h', 'fe80::1', { allowlist: ['::/0'] }), false);
  assert.ok(isTargetAllowed('h', 'fe80::1', { allowlist: ['fe80::/10'] }));
  assert.ok(isTargetAllowed('h', '93.184.215.14', {}), 'public unicast always');
});

void test('guardedLookup passes DNS errors through untouched', async () => {
  const lookup = createGuardedLookup({}, fakeResolver({}));
  const r = await runLookup(lookup, 'nowhere.invalid', {});
  assert.equal(r.err?.code, 'ENOTFOUND');
});

void test('guardedLookup with the real resolver blocks localhost', async () => {
  const r = await runLookup(createGuardedLookup({}), 'localhost', { all: true });
  assert.equal(r.err?.code, BLOCKED_TARGET_CODE);
});
