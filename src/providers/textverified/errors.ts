/** Every failure of the TextVerified client surfaces as one typed error. */

export type TextVerifiedErrorKind =
  | 'insufficient_balance'
  | 'unavailable'
  | 'pricing_failure'
  | 'too_many_unfinished'
  /** Reuse/reactivate refused: the verification is not (or no longer) eligible. */
  | 'not_eligible'
  | 'idempotency_conflict'
  | 'bad_request'
  | 'not_found'
  | 'unauthorized'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network';

export interface TextVerifiedErrorInit {
  /** HTTP status when the provider answered. */
  status?: number;
  /** `Error.errorCode` from the provider body, e.g. `InsufficientBalance`. */
  errorCode?: string | null;
  errorDescription?: string | null;
  /** True when the request may have taken effect upstream (timeout / network / 5xx on a write). */
  ambiguous?: boolean;
  /** True when the circuit breaker refused the call without sending it. */
  circuitOpen?: boolean;
  /** The verification id, when known (e.g. the create succeeded but reading it back failed). */
  verificationId?: string;
  cause?: unknown;
}

export class TextVerifiedError extends Error {
  readonly kind: TextVerifiedErrorKind;
  readonly status: number | undefined;
  readonly errorCode: string | null;
  readonly errorDescription: string | null;
  readonly ambiguous: boolean;
  readonly circuitOpen: boolean;
  readonly verificationId: string | undefined;

  constructor(kind: TextVerifiedErrorKind, message: string, init: TextVerifiedErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'TextVerifiedError';
    this.kind = kind;
    this.status = init.status;
    this.errorCode = init.errorCode ?? null;
    this.errorDescription = init.errorDescription ?? null;
    this.ambiguous = init.ambiguous ?? false;
    this.circuitOpen = init.circuitOpen ?? false;
    this.verificationId = init.verificationId;
  }

  /** Worth another attempt for an idempotent call (reads, pricing, auth). */
  get transient(): boolean {
    return (
      (this.kind === 'rate_limited' ||
        this.kind === 'server_error' ||
        this.kind === 'timeout' ||
        this.kind === 'network') &&
      !this.circuitOpen
    );
  }
}

export const isTextVerifiedError = (error: unknown): error is TextVerifiedError =>
  error instanceof TextVerifiedError;

const CODE_KINDS: Record<string, TextVerifiedErrorKind> = {
  insufficientbalance: 'insufficient_balance',
  unavailable: 'unavailable',
  pricingfailure: 'pricing_failure',
  toomanyunfinishedverifications: 'too_many_unfinished',
  idempotencyconflict: 'idempotency_conflict',
};

/** Maps an HTTP error answer (status + optional `Error` body) to a typed error. */
export function errorFromResponse(
  status: number,
  body: { errorCode?: string | null; errorDescription?: string | null } | null,
  opts: { write: boolean; what: string },
): TextVerifiedError {
  const errorCode = body?.errorCode ?? null;
  const errorDescription = body?.errorDescription ?? null;
  const byCode = errorCode ? CODE_KINDS[errorCode.toLowerCase()] : undefined;
  let kind: TextVerifiedErrorKind;
  if (byCode) kind = byCode;
  else if (status === 401 || status === 403) kind = 'unauthorized';
  else if (status === 404) kind = 'not_found';
  else if (status === 409) kind = 'idempotency_conflict';
  else if (status === 429) kind = 'rate_limited';
  else if (status >= 500) kind = 'server_error';
  else kind = 'bad_request';
  // A 5xx on a write may have been applied; a 409 means a request with the same key is in flight.
  const ambiguous = opts.write && (status >= 500 || kind === 'idempotency_conflict');
  const detail = errorDescription ?? errorCode ?? `HTTP ${status}`;
  return new TextVerifiedError(kind, `TextVerified ${opts.what} failed: ${detail}`, {
    status,
    errorCode,
    errorDescription,
    ambiguous,
  });
}
