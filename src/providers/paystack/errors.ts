/**
 * The one error type the Paystack client throws. `kind` says what went wrong in terms the
 * payments module can act on; `ambiguous` says whether the request may nevertheless have taken
 * effect at Paystack (a timeout or a dropped connection after an initialize or a refund was sent),
 * in which case the caller must ask Paystack later (verify by reference) instead of assuming.
 */
export type PaystackErrorKind =
  'invalid_key' | 'duplicate_reference' | 'not_found' | 'validation' | 'server_error' | 'timeout' | 'network';

export interface PaystackErrorOptions {
  /** HTTP status Paystack answered with, when it answered. */
  status?: number;
  /** Paystack's `code` field (e.g. `duplicate_reference`), when present. */
  code?: string;
  /** Paystack's `type` field (`validation_error`, `api_error`, …), when present. */
  type?: string;
  ambiguous?: boolean;
  /** True when the circuit breaker refused the call without sending it. */
  circuitOpen?: boolean;
  cause?: unknown;
}

export class PaystackError extends Error {
  readonly kind: PaystackErrorKind;
  readonly ambiguous: boolean;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly type: string | undefined;
  readonly circuitOpen: boolean;

  constructor(kind: PaystackErrorKind, message: string, options: PaystackErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PaystackError';
    this.kind = kind;
    this.ambiguous = options.ambiguous ?? false;
    this.status = options.status;
    this.code = options.code;
    this.type = options.type;
    this.circuitOpen = options.circuitOpen ?? false;
  }
}

export function isPaystackError(error: unknown, kind?: PaystackErrorKind): error is PaystackError {
  return error instanceof PaystackError && (kind === undefined || error.kind === kind);
}
