import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
} from 'cockatiel';
import { PaystackError, type PaystackErrorKind } from './errors.js';
import { toDispute, toTransaction, toRefund, isRecord } from './parse.js';

/**
 * Real HTTP client for Paystack (https://api.paystack.co) — and, with another `baseUrl`, for our
 * sandbox. Reads (verify, fetch) are retried with jittered backoff on 5xx, network errors and
 * timeouts; writes (initialize, refund) are never retried: their failures carry `ambiguous` so the
 * caller can reconcile by reference instead. A circuit breaker shared by every call of one client
 * stops hammering Paystack while it is down.
 */

export type PaystackCurrency = 'NGN' | 'USD' | 'GHS' | 'ZAR' | 'KES';

/** Only `success` means paid; `failed`/`abandoned`/`reversed` are final failures; others are in flight. */
export type PaystackTransactionStatus =
  | 'success'
  | 'failed'
  | 'abandoned'
  | 'reversed'
  | 'pending'
  | 'ongoing'
  | 'processing'
  | 'queued'
  | (string & {});

export interface PaystackClientOptions {
  /** `https://api.paystack.co`, or a sandbox URL. */
  baseUrl: string;
  /** `sk_test_…` / `sk_live_…`. */
  secretKey: string;
  /** Per-request timeout (headers and body). Default 10 000 ms. */
  timeoutMs?: number;
  retry?: {
    /** Retries after the first attempt, for reads only. Default 3. */
    maxRetries?: number;
    /** First backoff delay (decorrelated jitter grows it). Default 200 ms. */
    initialDelayMs?: number;
    /** Cap on one backoff delay. Default 3 000 ms. */
    maxDelayMs?: number;
  };
  breaker?: {
    /** Consecutive upstream faults (5xx, timeout, network) that open the circuit. Default 5. */
    consecutiveFailures?: number;
    /** How long the circuit stays open before one trial call. Default 15 000 ms. */
    halfOpenAfterMs?: number;
  };
  /** Injected fetch (tests); defaults to the global one. */
  fetch?: typeof fetch;
}

export interface InitializeTransactionInput {
  email: string;
  /** Integer subunits (kobo for NGN). */
  amountMinor: number;
  currency: PaystackCurrency;
  /** Our unique reference: only alphanumerics, `-`, `.` and `=`. */
  reference: string;
  callbackUrl: string;
  metadata?: Record<string, unknown>;
  channels?: string[];
}

export interface InitializedTransaction {
  authorizationUrl: string;
  accessCode: string;
  reference: string;
}

export interface PaystackTransaction {
  id: number;
  status: PaystackTransactionStatus;
  reference: string;
  /** What was actually charged, integer subunits. Compare with what you initialized. */
  amountMinor: number;
  /** What was asked for at initialize, when Paystack reports it. */
  requestedAmountMinor: number | null;
  currency: string;
  paidAt: string | null;
  createdAt: string | null;
  gatewayResponse: string | null;
  channel: string | null;
  customerEmail: string | null;
  metadata: unknown;
  /** The whole `data` object as Paystack sent it (for audit logs). */
  raw: Record<string, unknown>;
}

export interface RefundInput {
  /** Transaction reference or numeric id. */
  transaction: string | number;
  /** Partial refund in subunits; omit for the full amount. */
  amountMinor?: number;
  currency?: PaystackCurrency;
  customerNote?: string;
  merchantNote?: string;
}

export interface PaystackRefund {
  id: number;
  /** `pending`, `processing`, `processed`, `failed`, `needs-attention`, … */
  status: string;
  amountMinor: number;
  currency: string;
  transactionId: number | null;
  transactionReference: string | null;
  raw: Record<string, unknown>;
}

/** A chargeback raised by the payer's bank (`GET /dispute/:id`). */
export interface PaystackDispute {
  id: number;
  /** `awaiting-merchant-feedback`, `awaiting-bank-feedback`, `pending`, `resolved`, `archived`. */
  status: string;
  /** Once resolved: `merchant-accepted` (the payer keeps the money) or `declined` (the merchant keeps it). */
  resolution: string | null;
  /** What the payer gets back, in subunits, when Paystack states it; else null. */
  refundAmountMinor: number | null;
  currency: string;
  transactionId: number | null;
  transactionReference: string | null;
  /** The disputed transaction's amount, in subunits, when present. */
  transactionAmountMinor: number | null;
  raw: Record<string, unknown>;
}

export interface PaystackClient {
  initializeTransaction(input: InitializeTransactionInput): Promise<InitializedTransaction>;
  /** Throws `PaystackError` with kind `not_found` for an unknown reference. */
  verifyTransaction(reference: string): Promise<PaystackTransaction>;
  getTransaction(id: number | string): Promise<PaystackTransaction>;
  refund(input: RefundInput): Promise<PaystackRefund>;
  getRefund(id: number | string): Promise<PaystackRefund>;
  /** Throws `PaystackError` with kind `not_found` for an unknown dispute. */
  getDispute(id: number | string): Promise<PaystackDispute>;
}

type Operation = 'read' | 'write';

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const UPSTREAM_FAULTS = new Set<PaystackErrorKind>(['server_error', 'timeout', 'network']);

export function createPaystackClient(options: PaystackClientOptions): PaystackClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;

  const isUpstreamFault = (error: Error) => error instanceof PaystackError && UPSTREAM_FAULTS.has(error.kind);
  const breaker = circuitBreaker(handleWhen(isUpstreamFault), {
    halfOpenAfter: options.breaker?.halfOpenAfterMs ?? 15_000,
    breaker: new ConsecutiveBreaker(options.breaker?.consecutiveFailures ?? 5),
  });
  const readRetry = retry(handleWhen(isUpstreamFault), {
    maxAttempts: options.retry?.maxRetries ?? 3,
    backoff: new ExponentialBackoff({
      initialDelay: options.retry?.initialDelayMs ?? 200,
      maxDelay: options.retry?.maxDelayMs ?? 3_000,
    }),
  });

  async function send(method: 'GET' | 'POST', path: string, body: unknown, op: Operation): Promise<unknown> {
    const writeAmbiguity = op === 'write';
    let response: Response;
    let text: string;
    try {
      response = await doFetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.secretKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      throw transportError(error, method, path, writeAmbiguity);
    }

    let envelope: unknown;
    try {
      envelope = text === '' ? undefined : JSON.parse(text);
    } catch {
      envelope = undefined;
    }
    const message =
      isRecord(envelope) && typeof envelope.message === 'string'
        ? envelope.message
        : `HTTP ${response.status}`;
    const code = isRecord(envelope) && typeof envelope.code === 'string' ? envelope.code : undefined;
    const type = isRecord(envelope) && typeof envelope.type === 'string' ? envelope.type : undefined;
    const details = { status: response.status, code, type };

    if (response.ok) {
      if (!isRecord(envelope)) {
        throw new PaystackError('server_error', `Paystack ${method} ${path}: unreadable response body`, {
          ...details,
          ambiguous: writeAmbiguity,
        });
      }
      if (envelope.status !== true) throw new PaystackError('validation', message, details);
      return envelope.data;
    }
    if (response.status === 401) throw new PaystackError('invalid_key', message, details);
    if (response.status === 404) throw new PaystackError('not_found', message, details);
    if (response.status >= 500) {
      throw new PaystackError('server_error', `Paystack ${method} ${path}: ${message}`, {
        ...details,
        ambiguous: writeAmbiguity,
      });
    }
    if (response.status === 429) throw new PaystackError('server_error', message, details);
    if (code === 'duplicate_reference' || /duplicate transaction reference/i.test(message)) {
      throw new PaystackError('duplicate_reference', message, details);
    }
    // Paystack has been seen answering an unknown reference with 400 instead of 404.
    if (/(transaction|reference|refund|dispute).*not found/i.test(message)) {
      throw new PaystackError('not_found', message, details);
    }
    throw new PaystackError('validation', message, details);
  }

  async function call(method: 'GET' | 'POST', path: string, body: unknown, op: Operation): Promise<unknown> {
    try {
      if (op === 'read')
        return await readRetry.execute(() => breaker.execute(() => send(method, path, body, op)));
      return await breaker.execute(() => send(method, path, body, op));
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new PaystackError('server_error', 'Paystack circuit breaker is open; request not sent', {
          circuitOpen: true,
          cause: error,
        });
      }
      throw error;
    }
  }

  return {
    async initializeTransaction(input) {
      assertMinor(input.amountMinor);
      const data = await call(
        'POST',
        '/transaction/initialize',
        {
          email: input.email,
          amount: input.amountMinor,
          currency: input.currency,
          reference: input.reference,
          callback_url: input.callbackUrl,
          ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
          ...(input.channels === undefined ? {} : { channels: input.channels }),
        },
        'write',
      );
      if (
        !isRecord(data) ||
        typeof data.authorization_url !== 'string' ||
        typeof data.access_code !== 'string' ||
        typeof data.reference !== 'string'
      ) {
        // The transaction may exist: treat like any other ambiguous write.
        throw new PaystackError('server_error', 'Paystack initialize: malformed response data', {
          status: 200,
          ambiguous: true,
        });
      }
      return {
        authorizationUrl: data.authorization_url,
        accessCode: data.access_code,
        reference: data.reference,
      };
    },

    async verifyTransaction(reference) {
      const data = await call(
        'GET',
        `/transaction/verify/${encodeURIComponent(reference)}`,
        undefined,
        'read',
      );
      return toTransaction(data);
    },

    async getTransaction(id) {
      const data = await call('GET', `/transaction/${encodeURIComponent(String(id))}`, undefined, 'read');
      return toTransaction(data);
    },

    async refund(input) {
      if (input.amountMinor !== undefined) assertMinor(input.amountMinor);
      const data = await call(
        'POST',
        '/refund',
        {
          transaction: input.transaction,
          ...(input.amountMinor === undefined ? {} : { amount: input.amountMinor }),
          ...(input.currency === undefined ? {} : { currency: input.currency }),
          ...(input.customerNote === undefined ? {} : { customer_note: input.customerNote }),
          ...(input.merchantNote === undefined ? {} : { merchant_note: input.merchantNote }),
        },
        'write',
      );
      return toRefund(data, true);
    },

    async getRefund(id) {
      const data = await call('GET', `/refund/${encodeURIComponent(String(id))}`, undefined, 'read');
      return toRefund(data, false);
    },

    async getDispute(id) {
      const data = await call('GET', `/dispute/${encodeURIComponent(String(id))}`, undefined, 'read');
      return toDispute(data);
    },
  };
}

function transportError(
  error: unknown,
  method: string,
  path: string,
  writeAmbiguity: boolean,
): PaystackError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new PaystackError('timeout', `Paystack ${method} ${path}: timed out`, {
      ambiguous: writeAmbiguity,
      cause: error,
    });
  }
  const code = errorCode(error);
  const notSent = code !== undefined && NOT_SENT_CODES.has(code);
  return new PaystackError('network', `Paystack ${method} ${path}: ${code ?? 'network error'}`, {
    ambiguous: writeAmbiguity && !notSent,
    code,
    cause: error,
  });
}

/** undici wraps the socket error in `cause` (sometimes twice); prefer the system code. */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  let fallback: string | undefined;
  for (let depth = 0; depth < 4 && isRecord(current); depth++) {
    if (typeof current.code === 'string') {
      if (!current.code.startsWith('UND_ERR_')) return current.code;
      fallback ??= current.code;
    }
    current = current.cause;
  }
  return fallback;
}

function assertMinor(amount: number) {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new PaystackError('validation', `Amount must be a positive integer in subunits, got ${amount}`);
  }
}
