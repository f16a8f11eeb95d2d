/**
 * The one error type the application throws on purpose. The HTTP error handler maps it to
 * `{"error": {"code", "message"}}` with its status; anything else becomes a bare 500.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
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
export const conflict = (code: string, message: string) => new AppError(409, code, message);
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
