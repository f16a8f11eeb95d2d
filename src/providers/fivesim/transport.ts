/**
 * The 5sim transport, built like the TextVerified one (cockatiel): every attempt has a timeout;
 * reads are retried with exponential backoff on 429/5xx/timeout/network; writes (buy, cancel, ban,
 * finish — GETs that act) are never retried, and their failures that may have applied are
 * `ambiguous`. A consecutive-failure circuit breaker fails fast while the provider is down.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
} from 'cockatiel';
import { FiveSimError, errorFromResponse, kindOfText } from './errors.js';

const API_PREFIX = '/v1';

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  retry?: { retries?: number; initialDelayMs?: number; maxDelayMs?: number };
  circuitBreaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  fetch?: typeof globalThis.fetch;
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
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  const timeoutPolicy = timeout(timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
  const breaker = circuitBreaker(
    handleWhen(
      (e) =>
        e instanceof FiveSimError &&
        (e.kind === 'server_error' || e.kind === 'timeout' || e.kind === 'network'),
    ),
    {
      halfOpenAfter: options.circuitBreaker?.halfOpenAfterMs ?? 30_000,
      breaker: new ConsecutiveBreaker(options.circuitBreaker?.consecutiveFailures ?? 5),
    },
  );
  const readRetry = retry(
    handleWhen((e) => e instanceof FiveSimError && e.transient),
    {
      maxAttempts: options.retry?.retries ?? 3,
      backoff: new ExponentialBackoff({
        initialDelay: options.retry?.initialDelayMs ?? 500,
        maxDelay: options.retry?.maxDelayMs ?? 8_000,
      }),
    },
  );

  const urlOf = (op: Operation) => {
    // Path segments are encoded by the caller; the origin is always the configured one.
    const target = new URL(`${origin.pathname.replace(/\/+$/, '')}${API_PREFIX}${op.path}`, origin);
    for (const [k, v] of Object.entries(op.query ?? {})) if (v !== undefined) target.searchParams.set(k, v);
    return target.toString();
  };

  async function attempt(op: Operation, signal: AbortSignal): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (op.auth) headers.Authorization = `Bearer ${options.apiKey}`;
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(urlOf(op), { method: 'GET', headers, signal, redirect: 'manual' });
      text = await response.text();
    } catch (cause) {
      if (signal.aborted) throw cause; // the timeout policy reports this one
      const code = (cause as { cause?: { code?: unknown } }).cause?.code;
      // A refused connection never reached the provider, so it cannot have taken effect.
      const refused = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
      throw new FiveSimError(
        'network',
        `5sim ${op.what}: network error (${String(code ?? (cause as Error).message)})`,
        { ambiguous: op.write && !refused, cause },
      );
    }
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

  async function guarded(op: Operation): Promise<unknown> {
    try {
      return await breaker.execute(async () => {
        try {
          return await timeoutPolicy.execute(({ signal }) => attempt(op, signal));
        } catch (error) {
          if (error instanceof TaskCancelledError) {
            throw new FiveSimError('timeout', `5sim ${op.what}: no answer within ${timeoutMs} ms`, {
              ambiguous: op.write,
              cause: error,
            });
          }
          throw error;
        }
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw new FiveSimError('server_error', `5sim ${op.what}: circuit open, provider presumed down`, {
          circuitOpen: true,
          cause: error,
        });
      }
      throw error;
    }
  }

  const send = (op: Operation): Promise<unknown> =>
    op.write ? guarded(op) : readRetry.execute(() => guarded(op));

  function circuitState(): 'closed' | 'open' | 'half_open' | 'isolated' {
    switch (breaker.state) {
      case CircuitState.Open:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half_open';
      case CircuitState.Isolated:
        return 'isolated';
      default:
        return 'closed';
    }
  }

  return { send, circuitState };
}
