/**
 * SSRF-safe outbound HTTP for user-supplied URLs (outbound webhooks).
 *
 * Three layers, each usable on its own (the first two, and the pinned lookup, in address-policy.ts):
 *  - `assertSafeWebhookUrl` checks the syntax when an endpoint is saved (scheme, credentials, host);
 *  - `resolveSafeAddresses` resolves every address of a host and refuses the lot if any one is
 *    private, loopback, link-local, reserved, multicast, CGNAT, unique-local, or an IPv4-embedding
 *    IPv6 form of those;
 *  - `safeFetch` does both at send time and connects to exactly the addresses it checked (a pinned
 *    `lookup`), so a DNS answer that changes between check and connect (rebinding) cannot redirect
 *    the request. Redirects are never followed, the whole exchange has a deadline and the response
 *    body is capped.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import {
  type LookupAll,
  type OutboundUrlPolicy,
  assertSafeWebhookUrl,
  bareHostname,
  createPinnedLookup,
  resolveSafeAddresses,
  sniName,
} from './address-policy.js';

export {
  type LookupAll,
  type OutboundUrlPolicy,
  type PinnedLookup,
  type ResolvedAddress,
  UnsafeUrlError,
  assertSafeWebhookUrl,
  createPinnedLookup,
  isAddressAllowed,
  resolveSafeAddresses,
} from './address-policy.js';

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
    resolveSafeAddresses(target.hostname, policy, options.lookup),
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
