/**
 * The address checks of outbound requests to user-supplied URLs: a URL's syntax when it is saved,
 * every resolved address at send time, and a `lookup` pinned to the checked addresses. No I/O but
 * the DNS lookup; `safeFetch` (outbound-url.ts) puts them together.
 */
import dns from 'node:dns';
import type { LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';

export interface OutboundUrlPolicy {
  /** Allow private/loopback/link-local targets. For local development only. */
  allowPrivate: boolean;
  /** Refuse `http:` URLs (production). */
  requireHttps: boolean;
}

/** A URL or address the policy refuses. `reason` is a stable machine-readable word. */
export class UnsafeUrlError extends AppError {
  constructor(
    readonly reason:
      | 'invalid_url'
      | 'scheme_not_allowed'
      | 'https_required'
      | 'credentials_in_url'
      | 'missing_host'
      | 'address_not_allowed'
      | 'unresolvable',
    message: string,
  ) {
    super(400, 'unsafe_url', message, { reason });
    this.name = 'UnsafeUrlError';
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type LookupAll = (
  hostname: string,
  options: { all: true; verbatim?: boolean },
) => Promise<LookupAddress[]>;

const defaultLookup: LookupAll = (hostname, options) => dns.promises.lookup(hostname, options);

/** Cloud metadata endpoints: refused even when private targets are allowed. */
const METADATA_ADDRESSES = new Set(
  ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200'].map((a) => ipaddr.parse(a).toNormalizedString()),
);

/** Ranges refused even with `allowPrivate` — nothing legitimate listens there for a webhook. */
const NEVER_ALLOWED_RANGES = new Set(['unspecified', 'broadcast', 'multicast']);

/**
 * Checks a webhook URL's syntax against the policy and returns it parsed. Does not resolve DNS;
 * literal-IP hosts (including the decimal/octal/hex forms the URL parser normalises, e.g.
 * `http://2130706433/` → `127.0.0.1`) are checked here already.
 */
export function assertSafeWebhookUrl(url: string, opts: OutboundUrlPolicy): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeUrlError('invalid_url', 'The URL is not valid.');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UnsafeUrlError('scheme_not_allowed', 'Only http and https URLs are allowed.');
  }
  if (opts.requireHttps && parsed.protocol !== 'https:') {
    throw new UnsafeUrlError('https_required', 'The URL must use https.');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new UnsafeUrlError('credentials_in_url', 'The URL must not contain a username or password.');
  }
  const host = bareHostname(parsed.hostname);
  if (host === '') throw new UnsafeUrlError('missing_host', 'The URL has no host.');
  const literal = parseIpLiteral(host);
  if (literal) assertAddressAllowed(literal, opts);
  else if (!opts.allowPrivate && isLocalName(host)) {
    throw new UnsafeUrlError('address_not_allowed', 'The URL points to a local host.');
  }
  return parsed;
}

/**
 * Resolves every address of `hostname` and returns them when all are allowed; throws
 * `UnsafeUrlError` if any one is not (a host with one public and one private address is refused).
 * IP literals are checked without a lookup.
 */
export async function resolveSafeAddresses(
  hostname: string,
  opts: OutboundUrlPolicy,
  lookup: LookupAll = defaultLookup,
): Promise<ResolvedAddress[]> {
  const host = bareHostname(hostname);
  if (host === '') throw new UnsafeUrlError('missing_host', 'The URL has no host.');
  const literal = parseIpLiteral(host);
  if (literal) {
    assertAddressAllowed(literal, opts);
    return [toResolved(literal)];
  }
  if (!opts.allowPrivate && isLocalName(host)) {
    throw new UnsafeUrlError('address_not_allowed', 'The URL points to a local host.');
  }
  let answers: LookupAddress[];
  try {
    answers = await lookup(host, { all: true, verbatim: true });
  } catch (error) {
    throw Object.assign(new UnsafeUrlError('unresolvable', 'The host name could not be resolved.'), {
      cause: error,
    });
  }
  if (answers.length === 0) throw new UnsafeUrlError('unresolvable', 'The host name has no addresses.');
  const resolved: ResolvedAddress[] = [];
  for (const answer of answers) {
    const ip = parseIpLiteral(answer.address);
    if (!ip) throw new UnsafeUrlError('unresolvable', 'The resolver returned an invalid address.');
    assertAddressAllowed(ip, opts);
    resolved.push(toResolved(ip));
  }
  return resolved;
}

/** Whether one address is allowed by the policy (no throw). */
export function isAddressAllowed(address: string, opts: Pick<OutboundUrlPolicy, 'allowPrivate'>): boolean {
  const ip = parseIpLiteral(bareHostname(address));
  if (!ip) return false;
  try {
    assertAddressAllowed(ip, opts);
    return true;
  } catch {
    return false;
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;
export type PinnedLookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => void;

/**
 * A `lookup` for `net`/`http`/`https` that answers only with the already-checked addresses, so the
 * connection goes to exactly what was validated (no second DNS query to rebind). Handles both the
 * single-answer and the `all: true` call styles (the latter is used by Node's autoSelectFamily).
 */
export function createPinnedLookup(addresses: readonly ResolvedAddress[]): PinnedLookup {
  if (addresses.length === 0) throw new Error('createPinnedLookup needs at least one address');
  return (_hostname, options, callback) => {
    const family = typeof options === 'object' && options !== null ? options.family : undefined;
    const wanted =
      family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : [...addresses];
    if (wanted.length === 0) {
      const error: NodeJS.ErrnoException = new Error('No pinned address for the requested family');
      error.code = 'ENOTFOUND';
      process.nextTick(callback, error, '', undefined);
      return;
    }
    if (typeof options === 'object' && options !== null && options.all) {
      process.nextTick(
        callback,
        null,
        wanted.map((a) => ({ address: a.address, family: a.family })),
      );
      return;
    }
    const first = wanted[0]!;
    process.nextTick(callback, null, first.address, first.family);
  };
}

function assertAddressAllowed(
  ip: ipaddr.IPv4 | ipaddr.IPv6,
  opts: Pick<OutboundUrlPolicy, 'allowPrivate'>,
): void {
  const effective = embeddedIPv4(ip) ?? ip;
  const range = effective.range();
  if (METADATA_ADDRESSES.has(effective.toNormalizedString())) {
    throw new UnsafeUrlError('address_not_allowed', 'The URL points to a cloud metadata address.');
  }
  if (NEVER_ALLOWED_RANGES.has(range)) {
    throw new UnsafeUrlError('address_not_allowed', `The URL points to a ${range} address.`);
  }
  if (opts.allowPrivate) return;
  if (range !== 'unicast') {
    throw new UnsafeUrlError(
      'address_not_allowed',
      `The URL points to a ${range} address, which is not allowed.`,
    );
  }
}

/**
 * The IPv4 address an IPv6 address carries, for the forms that route to it: IPv4-mapped
 * (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::/96`), 6to4
 * (`2002:AABB:CCDD::/48`) and the deprecated IPv4-compatible `::a.b.c.d`.
 */
function embeddedIPv4(ip: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | null {
  if (ip.kind() !== 'ipv6') return null;
  const v6 = ip as ipaddr.IPv6;
  const p = v6.parts;
  const fromParts = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return fromParts(p[6]!, p[7]!);
  if (range === '6to4') return fromParts(p[1]!, p[2]!);
  // ::a.b.c.d (IPv4-compatible, deprecated) — but not :: or ::1, which have their own ranges.
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1)) return fromParts(p[6]!, p[7]!);
  return null;
}

function parseIpLiteral(host: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  // Strip an IPv6 zone id (fe80::1%eth0): the address part decides.
  const withoutZone = host.includes('%') ? host.slice(0, host.indexOf('%')) : host;
  if (!ipaddr.isValid(withoutZone)) return null;
  try {
    return ipaddr.parse(withoutZone);
  } catch {
    return null;
  }
}

function toResolved(ip: ipaddr.IPv4 | ipaddr.IPv6): ResolvedAddress {
  return ip.kind() === 'ipv4' ? { address: ip.toString(), family: 4 } : { address: ip.toString(), family: 6 };
}

export function bareHostname(hostname: string): string {
  const trimmed = hostname.trim().toLowerCase();
  const unbracketed = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}

function isLocalName(host: string): boolean {
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host.endsWith('.local') ||
    host.endsWith('.internal')
  );
}

export function sniName(hostname: string): string | undefined {
  const host = bareHostname(hostname);
  return parseIpLiteral(host) ? undefined : host;
}
