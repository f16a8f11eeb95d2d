/**
 * The resilience every upstream client shares (cockatiel): each attempt has a timeout; reads are
 * retried with exponential backoff on transient failures; writes are never retried (a failure
 * that may have applied is the client's to call ambiguous); a consecutive-failure circuit breaker
 * fails fast while the provider is down. The provider's own error type stays the client's.
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

export interface UpstreamPolicyOptions {
  timeoutMs?: number;
  retry?: { retries?: number; initialDelayMs?: number; maxDelayMs?: number };
  circuitBreaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
}

/** How a client's errors read: which open the circuit, which a read retries, and how it says so. */
export interface UpstreamErrors {
  /** The provider looks down (5xx, timeout, network): counts towards opening the circuit. */
  isOutage(error: unknown): boolean;
  /** Worth another attempt of a read. */
  isTransient(error: unknown): boolean;
  timedOut(call: UpstreamCall, timeoutMs: number, cause: unknown): Error;
  circuitOpen(call: UpstreamCall, cause: unknown): Error;
}

export interface UpstreamCall {
  /** Acts upstream: never retried. */
  write: boolean;
  /** For messages, e.g. "buy activation". */
  what: string;
}

export type CircuitStateName = 'closed' | 'open' | 'half_open' | 'isolated';

export function createUpstreamPolicy(options: UpstreamPolicyOptions, errors: UpstreamErrors) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const timeoutPolicy = timeout(timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
  const breaker = circuitBreaker(handleWhen(errors.isOutage), {
    halfOpenAfter: options.circuitBreaker?.halfOpenAfterMs ?? 30_000,
    breaker: new ConsecutiveBreaker(options.circuitBreaker?.consecutiveFailures ?? 5),
  });
  const readRetry = retry(handleWhen(errors.isTransient), {
    maxAttempts: options.retry?.retries ?? 3,
    backoff: new ExponentialBackoff({
      initialDelay: options.retry?.initialDelayMs ?? 500,
      maxDelay: options.retry?.maxDelayMs ?? 8_000,
    }),
  });

  async function guarded<T>(call: UpstreamCall, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await breaker.execute(async () => {
        try {
          return await timeoutPolicy.execute(({ signal }) => attempt(signal));
        } catch (error) {
          if (error instanceof TaskCancelledError) throw errors.timedOut(call, timeoutMs, error);
          throw error;
        }
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw errors.circuitOpen(call, error);
      }
      throw error;
    }
  }

  return {
    /** One call: a write once, a read with retries; every attempt under the timeout and breaker. */
    run<T>(call: UpstreamCall, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
      return call.write ? guarded(call, attempt) : readRetry.execute(() => guarded(call, attempt));
    },
    circuitState(): CircuitStateName {
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
    },
  };
}

/** A request that failed before any answer: its code, and whether the provider was never reached. */
export function networkFailure(cause: unknown): { code: string; refused: boolean } {
  // undici's request puts the system code on the error; fetch wraps it in `cause`.
  const failure = cause as { code?: unknown; cause?: { code?: unknown } };
  const code = failure.cause?.code ?? failure.code;
  return {
    code: String(code ?? (cause as Error).message),
    // A refused connection never reached the provider, so it cannot have taken effect.
    refused: code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN',
  };
}
