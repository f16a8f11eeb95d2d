/**
 * Every failure of the 5sim client surfaces as one typed error. 5sim answers errors as plain-text
 * strings (contract §B.3), sometimes with a 200; the kinds use the same names as the TextVerified
 * client's where the meaning is the same, so routing reads both alike.
 */

export type FiveSimErrorKind =
  | 'insufficient_balance'
  | 'unavailable'
  | 'not_enough_rating'
  | 'order_has_sms'
  | 'not_eligible'
  | 'bad_request'
  | 'not_found'
  | 'unauthorized'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network';

export interface FiveSimErrorInit {
  status?: number;
  /** The provider's own words (e.g. `no free phones`), when it sent some. */
  providerText?: string | null;
  /** True when the request may have taken effect upstream (timeout / network / 5xx on a write). */
  ambiguous?: boolean;
  /** True when the circuit breaker refused the call without sending it. */
  circuitOpen?: boolean;
  cause?: unknown;
}

export class FiveSimError extends Error {
  readonly kind: FiveSimErrorKind;
  readonly status: number | undefined;
  readonly providerText: string | null;
  readonly ambiguous: boolean;
  readonly circuitOpen: boolean;

  constructor(kind: FiveSimErrorKind, message: string, init: FiveSimErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'FiveSimError';
    this.kind = kind;
    this.status = init.status;
    this.providerText = init.providerText ?? null;
    this.ambiguous = init.ambiguous ?? false;
    this.circuitOpen = init.circuitOpen ?? false;
  }

  /** Worth another attempt for an idempotent call (reads). */
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

export const isFiveSimError = (error: unknown): error is FiveSimError => error instanceof FiveSimError;

/** The documented strings (§B.3, docs and SDKs), lower-cased, and what each means. */
const TEXT_KINDS: Record<string, FiveSimErrorKind> = {
  'no free phones': 'unavailable',
  'not enough user balance': 'insufficient_balance',
  'not enough rating': 'not_enough_rating',
  'select country': 'bad_request',
  'select operator': 'bad_request',
  'bad country': 'bad_request',
  'bad operator': 'bad_request',
  'no product': 'bad_request',
  'country is incorrect': 'bad_request',
  'product is incorrect': 'bad_request',
  'hosting order': 'bad_request',
  // Reuse refusals (§B.3): the number is not offered again (never bought with reuse=1, busy, window
  // over). Named like TextVerified's so the renewals read both alike.
  'reuse not possible': 'not_eligible',
  'reuse false': 'not_eligible',
  'reuse expired': 'not_eligible',
  'order not found': 'not_found',
  'record not found': 'not_found',
  'order has sms': 'order_has_sms',
  'order no sms': 'bad_request',
  'server offline': 'server_error',
  'internal error': 'server_error',
};

/** The kind a documented error string names, or undefined for anything else. */
export function kindOfText(text: string): FiveSimErrorKind | undefined {
  return TEXT_KINDS[text.trim().toLowerCase()];
}

/** Maps an error answer (status + plain-text body) to a typed error. */
export function errorFromResponse(
  status: number,
  text: string,
  opts: { write: boolean; what: string },
): FiveSimError {
  const providerText = text.trim().slice(0, 200) || null;
  const byText = providerText ? kindOfText(providerText) : undefined;
  let kind: FiveSimErrorKind;
  if (byText) kind = byText;
  else if (status === 401 || status === 403) kind = 'unauthorized';
  else if (status === 404) kind = 'not_found';
  else if (status === 429) kind = 'rate_limited';
  else if (status >= 500) kind = 'server_error';
  else kind = 'bad_request';
  // A 5xx (or `server offline`) on a write may have been applied: nobody said it was not.
  const ambiguous = opts.write && kind === 'server_error' && byText === undefined;
  return new FiveSimError(kind, `5sim ${opts.what} failed: ${providerText ?? `HTTP ${status}`}`, {
    status,
    providerText,
    ambiguous,
  });
}
