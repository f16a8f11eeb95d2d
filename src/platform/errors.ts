import { z } from 'zod';

/**
 * Every error code the API answers with, and the HTTP status it goes with. A closed list: `AppError`
 * takes only these, the error schema in the OpenAPI document enumerates them, and each operation
 * lists the ones it can return. Add a code here before throwing it.
 */
export const ERROR_STATUS = {
  // 400: the request is malformed or invalid.
  bad_request: 400,
  validation_failed: 400,
  invalid_token: 400,
  unsafe_url: 400,
  // 401: who is calling is unknown or not proven.
  unauthenticated: 401,
  /**
   * A wrong password, at sign-in (also for an unknown address: the same answer) and on a password
   * change. `unauthenticated` is for a missing, invalid or revoked credential, or one whose user is gone.
   */
  invalid_credentials: 401,
  /** A provider webhook's signature (TextVerified); the Paystack hook says `unauthenticated` (to unify). */
  invalid_signature: 401,
  mfa_required: 401,
  mfa_invalid: 401,
  /** Not an HTTP status: the `error` event that ends an SSE stream whose session or key was revoked. */
  access_revoked: 401,
  insufficient_funds: 402,
  // 403: known caller, refused.
  forbidden: 403,
  csrf_failed: 403,
  captcha_required: 403,
  email_unconfirmed: 403,
  tier_required: 403,
  /** An administrator whose account has no two-factor authentication yet (admin routes). */
  mfa_setup_required: 403,
  request_blocked: 403,
  not_found: 404,
  request_timeout: 408,
  // 409: the state of the resource does not allow it (now).
  already_reversed: 409,
  active_limit_reached: 409,
  already_completed: 409,
  not_cancelable: 409,
  out_of_stock: 409,
  price_changed: 409,
  /** The provider does not offer this completed order's number again now (its reuse window, its reactivation). */
  reuse_not_available: 409,
  reactivation_not_available: 409,
  idempotency_key_in_use: 409,
  mfa_already_enabled: 409,
  mfa_not_started: 409,
  mfa_not_enabled: 409,
  admin_not_created: 409,
  /** A top-up refund asked for more than is left to refund, or of a top-up not credited or disputed. */
  not_refundable: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  provider_rejected: 422,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  provider_unavailable: 503,
  service_unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
/** The codes that go with `status`, e.g. `ErrorCodeWith<409>`. */
export type ErrorCodeWith<S extends number> = {
  [C in ErrorCode]: (typeof ERROR_STATUS)[C] extends S ? C : never;
}[ErrorCode];
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** The one error shape (`{"error":{"code","message","details"?}}`), for responses and the OpenAPI document. */
export const errorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBody>;

/**
 * The one error type the application throws on purpose. The HTTP error handler maps it to
 * `{"error": {"code", "message"}}` with its status; anything else becomes a bare 500.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const validationFailed = (message: string, details?: Record<string, unknown>) =>
  new AppError(400, 'validation_failed', message, details);
export const unauthenticated = (message = 'Authentication is required.') =>
  new AppError(401, 'unauthenticated', message);
export const forbidden = (message = 'You are not allowed to do this.') =>
  new AppError(403, 'forbidden', message);
export const notFound = (what = 'Resource') => new AppError(404, 'not_found', `${what} not found.`);
export const conflict = (code: ErrorCodeWith<409>, message: string) => new AppError(409, code, message);
export const insufficientFunds = (message = 'Your wallet balance is too low for this.') =>
  new AppError(402, 'insufficient_funds', message);
export const providerUnavailable = (
  message = 'The upstream provider is unavailable; please try again shortly.',
) => new AppError(503, 'provider_unavailable', message);
/** drizzle wraps driver errors; the SQLSTATE sits on a `cause` somewhere down the chain. */
export function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
