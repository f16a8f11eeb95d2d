import { createHash } from 'node:crypto';

/** Pure rules of the administration: page cursors, adjustment keys, edit diffs. No I/O. */

/** Largest single balance adjustment, either way ($100 000): a typo must not mint a fortune. */
export const MAX_ADJUSTMENT_CENTS = 10_000_000;

/** Markup overrides stay between ×1.00 (never below the provider's cost) and ×10.00. */
export const MIN_MARKUP_BPS = 10_000;
export const MAX_MARKUP_BPS = 100_000;

/** An opaque page cursor for a (time, id) keyset: `<epoch ms>.<id>` in base64url. */
export function encodeTimeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.getTime()}.${id}`, 'utf8').toString('base64url');
}

/** The (time, id) of a cursor, or null when it is not one of ours. */
export function decodeTimeCursor(cursor: string): { at: Date; id: string } | null {
  const match = /^(\d{1,15})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return null;
  return { at: new Date(Number(match[1])), id: match[2]! };
}

/** An opaque cursor over a text key (the user search pages by e-mail). */
export const encodeTextCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');
export function decodeTextCursor(cursor: string): string | null {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  return key.length > 0 && key.length <= 320 && encodeTextCursor(key) === cursor ? key : null;
}

/**
 * The ledger's idempotency key for an adjustment, derived from the administrator's
 * `Idempotency-Key` and what the request asks (target and amount): the same request replayed, even
 * after its idempotency record has expired or around the HTTP layer, posts once; another request
 * that reuses the key is not mistaken for it.
 */
export function adjustmentKey(input: {
  actorId: string;
  requestKey: string;
  userId: string;
  amount: number;
}): string {
  const digest = createHash('sha256')
    .update(`${input.actorId}\n${input.requestKey}\n${input.userId}\n${input.amount}`)
    .digest('hex');
  return `admin-adjustment:${digest}`;
}

/** The fields of `patch` whose value differs from `before`, with both values (for the audit entry). */
export function changedFields<T extends Record<string, unknown>>(
  before: T,
  patch: Partial<T>,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [field, to] of Object.entries(patch)) {
    if (to !== undefined && before[field] !== to) changes[field] = { from: before[field], to };
  }
  return changes;
}
