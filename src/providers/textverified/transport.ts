/**
 * The TextVerified transport: URLs confined to the configured origin, and the cockatiel policies.
 * Every attempt has a timeout; reads are retried with exponential backoff + jitter on
 * 429/5xx/timeout/network; writes are never retried (a timeout, network error or 5xx there is
 * `ambiguous`). A consecutive-failure circuit breaker fails fast while the provider is down.
 */
import {
  type UpstreamPolicyOptions,
  createUpstreamPolicy,
  networkFailure,
} from '../../platform/net/upstream-policy.js';
import { type UpstreamSend, upstreamSend } from '../../platform/net/upstream-http.js';
import { TextVerifiedError, errorFromResponse } from './errors.js';
import type { WireError } from './types.js';

const API_PREFIX = '/api/pub/v2';

export interface TransportOptions extends UpstreamPolicyOptions {
  baseUrl: string;
  /** How requests are sent (default `upstreamSend`); tests wrap it to watch calls. */
  send?: UpstreamSend;
}

export interface Operation {
  method: 'GET' | 'POST';
  /** Absolute URL. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Not safe to repeat: never retried, failures that may have applied are `ambiguous`. */
  write: boolean;
  /** Needs the bearer token. */
  auth: boolean;
  /** For messages, e.g. "create verification". */
  what: string;
}

export interface RawResponse {
  status: number;
  /** A response header by lower-case name. */
  header(name: string): string | null;
  json: unknown;
}

export type Transport = ReturnType<typeof createTransport>;

export function createTransport(options: TransportOptions) {
  const origin = new URL(options.baseUrl);
  const sendRequest = options.send ?? upstreamSend;
  const policy = createUpstreamPolicy(options, {
    isOutage: (e) =>
      e instanceof TextVerifiedError &&
      (e.kind === 'server_error' || e.kind === 'timeout' || e.kind === 'network'),
    isTransient: (e) => e instanceof TextVerifiedError && e.transient,
    timedOut: (call, ms, cause) =>
      new TextVerifiedError('timeout', `TextVerified ${call.what}: no answer within ${ms} ms`, {
        ambiguous: call.write,
        cause,
      }),
    circuitOpen: (call, cause) =>
      new TextVerifiedError(
        'server_error',
        `TextVerified ${call.what}: circuit open, provider presumed down`,
        {
          circuitOpen: true,
          cause,
        },
      ),
  });

  const url = (path: string, query?: Record<string, string | undefined>) => {
    const target = new URL(`${API_PREFIX}${path}`, origin);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) target.searchParams.set(k, v);
    return target.toString();
  };

  /**
   * Links from the provider are absolute; we only ever follow their path+query on our own
   * configured origin, so a bearer token can never be sent to another host.
   */
  const followLink = (link: string | null | undefined, what: string): string => {
    if (!link) throw new TextVerifiedError('server_error', `TextVerified ${what}: missing link`);
    let parsed: URL;
    try {
      parsed = new URL(link, origin);
    } catch (cause) {
      throw new TextVerifiedError('server_error', `TextVerified ${what}: bad link ${link}`, { cause });
    }
    if (!parsed.pathname.startsWith(`${API_PREFIX}/`)) {
      throw new TextVerifiedError('server_error', `TextVerified ${what}: unexpected link ${link}`);
    }
    return new URL(`${parsed.pathname}${parsed.search}`, origin).toString();
  };

  async function attempt(
    op: Operation,
    token: string | undefined,
    signal: AbortSignal,
  ): Promise<RawResponse> {
    const headers: Record<string, string> = { Accept: 'application/json', ...op.headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (op.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(op.body);
    }
    let response: Awaited<ReturnType<UpstreamSend>>;
    try {
      response = await sendRequest(op.url, { method: op.method, headers, body, signal });
    } catch (cause) {
      if (signal.aborted) throw cause; // the timeout policy reports this one
      const { code, refused } = networkFailure(cause);
      throw new TextVerifiedError('network', `TextVerified ${op.what}: network error (${code})`, {
        ambiguous: op.write && !refused,
        cause,
      });
    }
    const text = response.text;
    let json: unknown = null;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    if (response.status >= 300) {
      const errorBody = json && typeof json === 'object' ? (json as Partial<WireError>) : null;
      throw errorFromResponse(response.status, errorBody, { write: op.write, what: op.what });
    }
    return { status: response.status, header: response.header, json };
  }

  const send = (op: Operation, token: string | undefined): Promise<RawResponse> =>
    policy.run(op, (signal) => attempt(op, token, signal));

  return { url, followLink, send, circuitState: policy.circuitState };
}
