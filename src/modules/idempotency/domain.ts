import { createHash } from 'node:crypto';

/** Pure rules of idempotent requests (Stripe semantics). */

export const MAX_KEY_LENGTH = 255;

export function isValidKey(key: string): boolean {
  return key.length >= 1 && key.length <= MAX_KEY_LENGTH;
}

/** Same method, path and body (whatever its key order) → same fingerprint. */
export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * Which outcomes are remembered. Transient failures (5xx, rate limits) and validation failures
 * are not: a retry with the same key should get a fresh attempt.
 */
export function shouldStoreResponse(status: number, errorCode: string | undefined): boolean {
  // Transient failures, and refusals of who is asking rather than of what is asked.
  if (status >= 500 || status === 429 || status === 401 || status === 403) return false;
  if (status === 400 && errorCode === 'validation_failed') return false;
  if (errorCode === 'idempotency_key_in_use' || errorCode === 'idempotency_key_reused') return false;
  return true;
}
