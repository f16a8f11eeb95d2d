/**
 * The 5sim transport, built like the TextVerified one (cockatiel): every attempt has a timeout;
 * reads are retried with exponential backoff on 429/5xx/timeout/network; writes (buy, cancel, ban,
 * finish — GETs that act) are never retried, and their failures that may have applied are
 * `ambiguous`. A consecutive-failure circuit breaker fails fast while the provider is down.
 */
import {
  type UpstreamPolicyOptions,
  createUpstreamPolicy,
  networkFailure,
} from '../../platform/net/upstream-policy.js';
import { FiveSimError, errorFromResponse, kindOfText } from './errors.js';
import { type UpstreamSend, upstreamSend } from '../../platform/net/upstream-http.js';

const API_PREFIX = '/v1';

export interface TransportOptions extends UpstreamPolicyOptions {
  baseUrl: string;
  apiKey: string;
  /** How requests are sent (default `upstreamSend`); tests wrap it to watch calls. */
  send?: UpstreamSend;
}

export interface Operation {
  path: string;
  query?: Record<string, string | undefined>;
  /** Acts upstream: never retried, failures that may have applied are `ambiguous`. */
  write: boolean;
  /** Needs the bearer token (user endpoints); guest endpoints go without. */
  auth: boolean;
  /** For messages, e.g. "buy activation". */
  what: string;
}

export type Transport = ReturnType<typeof createTransport>;

export function createTransport(options: TransportOptions) {
  const origin = new URL(options.baseUrl);
  const sendRequest = options.send ?? upstreamSend;
  const policy = createUpstreamPolicy(options, {
    isOutage: (e) =>
      e instanceof FiveSimError &&
      (e.kind === 'server_error' || e.kind === 'timeout' || e.kind === 'network'),
    isTransient: (e) => e instanceof FiveSimError && e.transient,
    timedOut: (call, ms, cause) =>
      new FiveSimError('timeout', `5sim ${call.what}: no answer within ${ms} ms`, {
        ambiguous: call.write,
        cause,
      }),
    circuitOpen: (call, cause) =>
      new FiveSimError('server_error', `5sim ${call.what}: circuit open, provider presumed down`, {
        circuitOpen: true,
        cause,
      }),
  });

  const urlOf = (op: Operation) => {
    // Path segments are encoded by the caller; the origin is always the configured one.
    const target = new URL(`${origin.pathname.replace(/\/+$/, '')}${API_PREFIX}${op.path}`, origin);
    for (const [k, v] of Object.entries(op.query ?? {})) if (v !== undefined) target.searchParams.set(k, v);
    return target.toString();
  };

  async function attempt(op: Operation, signal: AbortSignal): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (op.auth) headers.Authorization = `Bearer ${options.apiKey}`;
    let response: Awaited<ReturnType<UpstreamSend>>;
    try {
      response = await sendRequest(urlOf(op), { method: 'GET', headers, signal });
    } catch (cause) {
      if (signal.aborted) throw cause; // the timeout policy reports this one
      const { code, refused } = networkFailure(cause);
      throw new FiveSimError('network', `5sim ${op.what}: network error (${code})`, {
        ambiguous: op.write && !refused,
        cause,
      });
    }
    const text = response.text;
    if (response.status >= 300) throw errorFromResponse(response.status, text, op);
    // Errors arrive as plain text, `no free phones` even with a 200 (§B.3).
    if (kindOfText(text)) throw errorFromResponse(response.status, text, op);
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new FiveSimError('server_error', `5sim ${op.what}: answer is not JSON`, {
        status: response.status,
        providerText: text.slice(0, 200) || null,
        // A 200 to a buy that we cannot read: something may have been bought.
        ambiguous: op.write,
        cause,
      });
    }
  }

  const send = (op: Operation): Promise<unknown> => policy.run(op, (signal) => attempt(op, signal));

  return { send, circuitState: policy.circuitState };
}
