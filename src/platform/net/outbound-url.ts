/**
 * SSRF-safe outbound HTTP for user-supplied URLs (outbound webhooks).
 *
 * Three layers, each usable on its own:
 *  - `assertSafeWebhookUrl` checks the syntax when an endpoint is saved (scheme, credentials, host);
 *  - `resolveSafeAddresses` resolves every address of a host and refuses the lot if any one is
 *    private, loopback, link-local, reserved, multicast, CGNAT, unique-local, or an IPv4-embedding
 *    IPv6 form of those;
 *  - `safeFetch` does both at send time and connects to exactly the addresses it checked (a pinned
 *    `lookup`), so a DNS answer that changes between check and connect (rebinding) cannot redirect
 *    the request. Redirects are never followed, the whole exchange has a deadline and the response
 *    body is capped.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { IncomingHttpHeaders } from 'node:http';
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

/** A request that passed the policy but failed on the wire. */
export class OutboundRequestError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OutboundRequestError';
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

export interface SafeFetchOptions extends OutboundUrlPolicy {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Deadline for the whole exchange (connect, send, headers and body). Default 10 s. */
  timeoutMs?: number;
  /** Bytes of response body kept; the rest is discarded and the connection closed. Default 64 KiB. */
  maxResponseBytes?: number;
  /** Injected resolver (tests). */
  lookup?: LookupAll;
}

export interface SafeFetchResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** The response body as UTF-8, at most `maxResponseBytes` bytes of it. */
  body: string;
  /** True when the body was longer than `maxResponseBytes` and was cut. */
  truncated: boolean;
  /** The address actually connected to. */
  remoteAddress: string | undefined;
}

/**
 * Sends one request to a user-supplied URL under the SSRF policy. 3xx responses are returned as
 * they are (never followed). Throws `UnsafeUrlError` before any connection when the URL or any of
 * its resolved addresses is refused, `OutboundRequestError` on timeout or network failure.
 */
export async function safeFetch(url: string, options: SafeFetchOptions): Promise<SafeFetchResult> {
  const policy: OutboundUrlPolicy = {
    allowPrivate: options.allowPrivate,
    requireHttps: options.requireHttps,
  };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
  const deadline = Date.now() + timeoutMs;

  const target = assertSafeWebhookUrl(url, policy);
  const addresses = await withDeadline(
    resolveSafeAddresses(target.hostname, policy, options.lookup ?? defaultLookup),
    deadline,
  );
  const remaining = deadline - Date.now();
  if (remaining <= 0) throw new OutboundRequestError('timeout', 'The request timed out.');

  const client = target.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.body !== undefined && !hasHeader(headers, 'content-length')) {
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }

  return new Promise<SafeFetchResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };

    const request = client.request({
      protocol: target.protocol,
      hostname: bareHostname(target.hostname),
      port: target.port === '' ? undefined : Number(target.port),
      path: `${target.pathname}${target.search}`,
      method: options.method ?? 'POST',
      headers,
      lookup: createPinnedLookup(addresses) as unknown as http.RequestOptions['lookup'],
      // A fresh connection per request: a pooled socket could belong to another resolution.
      agent: false,
      // TLS: SNI and certificate checks use the host name (Node does this from `hostname`).
      ...(target.protocol === 'https:' ? { servername: sniName(target.hostname) } : {}),
    });

    const timer = setTimeout(() => {
      finish(() => reject(new OutboundRequestError('timeout', 'The request timed out.')));
      request.destroy();
    }, remaining);

    request.on('error', (error) => {
      finish(() =>
        reject(new OutboundRequestError('network', `The request failed: ${error.message}`, { cause: error })),
      );
    });

    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      const remoteAddress = response.socket?.remoteAddress;
      const done = () =>
        finish(() =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            truncated,
            remoteAddress,
          }),
        );
      response.on('data', (chunk: Buffer) => {
        if (truncated) return;
        const room = maxResponseBytes - kept;
        if (chunk.length > room) {
          if (room > 0) chunks.push(chunk.subarray(0, room));
          kept = maxResponseBytes;
          truncated = true;
          done();
          response.destroy();
          request.destroy();
          return;
        }
        chunks.push(chunk);
        kept += chunk.length;
      });
      response.on('end', done);
      response.on('error', (error) => {
        finish(() =>
          reject(
            new OutboundRequestError('network', `The response failed: ${error.message}`, { cause: error }),
          ),
        );
      });
    });

    if (options.body !== undefined) request.end(options.body);
    else request.end();
  });
}

// ---------------------------------------------------------------------------------------------

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

function bareHostname(hostname: string): string {
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

function sniName(hostname: string): string | undefined {
  const host = bareHostname(hostname);
  return parseIpLiteral(host) ? undefined : host;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

async function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) throw new OutboundRequestError('timeout', 'The request timed out.');
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new OutboundRequestError('timeout', 'The request timed out.')),
          remaining,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
