/** Pure rules of verifications: states, dedupe keys, ids, provider refusals, cursors. No I/O. */
import { createHash } from 'node:crypto';
import type { Currency } from '../../platform/money.js';
import type { UpstreamFailure } from '../routing/index.js';

export const STATUSES = ['pending', 'active', 'completed', 'canceled', 'expired', 'failed'] as const;
export type VerificationStatus = (typeof STATUSES)[number];

/** What an order is paid in: cents of USD, one free-verification credit, or cents of included usage. */
export const CHARGE_CURRENCIES = ['USD', 'CREDIT', 'INCLUDED'] as const satisfies readonly Currency[];
export type ChargeCurrency = (typeof CHARGE_CURRENCIES)[number];

/** The upstream providers an order can be bought from (routing's list); an order keeps its provider for life. */
export { PROVIDERS, type ProviderName } from '../routing/index.js';

/** The cancel or report still owed to the provider. */
export const UPSTREAM_ACTIONS = ['cancel', 'report'] as const;

/** How an order renews an earlier completed one's number (at the same provider): see renew.ts. */
export const RENEWALS = ['reuse', 'reactivate'] as const;
export type Renewal = (typeof RENEWALS)[number];
export type UpstreamAction = (typeof UPSTREAM_ACTIONS)[number];

export const isVerificationStatus = (value: string): value is VerificationStatus =>
  STATUSES.some((status) => status === value);

/** Orders that still hold money and count against the tier's active-order limit. */
export const OPEN_STATUSES: readonly VerificationStatus[] = ['pending', 'active'];

/**
 * One SMS, one key — whichever path brings it. The webhook carries no SMS id, so both the webhook
 * and the poller key a message by reservation, creation instant (ms) and a hash of its text.
 */
export function smsDedupeKey(sms: {
  provider?: string;
  reservationId: string;
  createdAt: Date;
  text: string | null;
}): string {
  const digest = createHash('sha256')
    .update(sms.text ?? '')
    .digest('hex')
    .slice(0, 32);
  // TextVerified's keys keep their original form (stored keys must still match); others say whose.
  const prefix = !sms.provider || sms.provider === 'textverified' ? 'tv' : sms.provider;
  return `${prefix}:${sms.reservationId}:${sms.createdAt.getTime()}:${digest}`;
}

/**
 * The most an order may cost us at the provider: the quoted provider cost, or — when routing falls
 * over to a dearer provider — up to the user's price before option surcharges. The user pays the
 * quote either way; what the platform accepts is never above what the user pays it.
 */
export function acceptedProviderCost(quote: {
  providerCostCents: number;
  tierAdjustedCents: number;
}): number {
  return Math.max(quote.providerCostCents, quote.tierAdjustedCents);
}

/** A stable UUID (v4 layout) from a caller's Idempotency-Key, so a retried purchase finds its order. */
export function verificationIdFor(userId: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`verification\u0000${userId}\u0000${idempotencyKey}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The key the provider sees on create: the same for every attempt at one order. */
export const providerIdempotencyKey = (verificationId: string) => `nmk-ver-${verificationId}`;
/** The ledger hold reference of one order. */
export const holdReference = (verificationId: string) => `verification:${verificationId}`;

export interface Refusal {
  /** Stored as the verification's failure code and returned as the error code. */
  code: 'out_of_stock' | 'price_changed' | 'provider_unavailable' | 'provider_rejected';
  status: number;
  message: string;
}

const REFUSALS: Record<Refusal['code'], Refusal> = {
  out_of_stock: {
    code: 'out_of_stock',
    status: 409,
    message: 'No numbers are available for this service right now.',
  },
  price_changed: {
    code: 'price_changed',
    status: 409,
    message: 'The provider price changed; get a new quote.',
  },
  provider_rejected: { code: 'provider_rejected', status: 422, message: 'The provider refused this order.' },
  provider_unavailable: {
    code: 'provider_unavailable',
    status: 503,
    message: 'The SMS provider is unavailable; you were not charged.',
  },
};

/**
 * What a provider error on an order's FIRST create means: `null` when the outcome is unknown (the
 * number may have been bought) — the order stays pending for the reconciler. Anything the provider
 * answered without acting on it (or that was never sent: circuit open) is a refusal here, because
 * no earlier attempt with this order's key exists.
 */
export function refusalOf(error: UpstreamFailure): Refusal | null {
  if (error.ambiguous) return null;
  switch (error.kind) {
    case 'unavailable':
      return REFUSALS.out_of_stock;
    case 'pricing_failure':
      return REFUSALS.price_changed;
    case 'bad_request':
      return REFUSALS.provider_rejected;
    default:
      // Our provider account is out of money or busy, the provider is down (circuit open), auth failed…
      return REFUSALS.provider_unavailable;
  }
}

/**
 * The same question for a RETRY of a create whose first outcome is unknown (reconciler, upstream
 * cancel of an order canceled while being bought). Only the provider's own answer to the order
 * proves nothing was bought under the key — a purchase that went through would have been replayed
 * (contract §A: "Idempotent replays return the same 201"). An open circuit (nothing sent), a rate
 * limit, an auth failure, a 5xx or a timeout says nothing about the first attempt: `null`, try later.
 */
export function refusalOfRetry(error: UpstreamFailure): Refusal | null {
  if (error.ambiguous || error.circuitOpen) return null;
  switch (error.kind) {
    case 'unavailable':
    case 'pricing_failure':
    case 'bad_request':
    case 'insufficient_balance':
    case 'too_many_unfinished':
      return refusalOf(error);
    default:
      return null;
  }
}

/**
 * What a purchase every provider refused is answered with: "no numbers" when any of them said so
 * (the clearest thing to tell a user: try later or elsewhere), else the last refusal.
 */
export function refusalOfAll(refusals: readonly Refusal[]): Refusal {
  return refusals.find((r) => r.code === 'out_of_stock') ?? refusals.at(-1) ?? REFUSALS.provider_unavailable;
}

/** The refusal a failed order was answered with, from its stored failure code. */
export function refusalFor(failureCode: string | null): Refusal {
  return (
    Object.values(REFUSALS).find((refusal) => refusal.code === failureCode) ?? REFUSALS.provider_unavailable
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Opaque list cursor: the last row's creation time exactly as PostgreSQL holds it (microseconds,
 * UTC, e.g. `2024-05-01T12:00:00.123456Z`) and its id. A JavaScript Date would keep milliseconds
 * only, and rows created in the same millisecond as the last one would fall between two pages.
 */
export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

/** What `encodeCursor` writes (and the millisecond ISO form cursors had before). */
const EXACT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,6}Z$/;

export function decodeCursor(cursor: string): { createdAt: string; id: string } | null {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  // A real UUID and a time PostgreSQL reads as a timestamptz: anything else would fail in the query (500).
  if (!at || !id || !UUID.test(id)) return null;
  if (!EXACT_TIME.test(at) || at.startsWith('0000') || Number.isNaN(new Date(at).getTime())) return null;
  return { createdAt: at, id };
}
