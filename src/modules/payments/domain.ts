import { randomBytes } from 'node:crypto';

/** Pure rules of top-ups: amounts, references, and what a Paystack verify result means. No I/O. */

/**
 * `initializing` (row written, Paystack not yet answered; hidden from the user) →
 * `initialized` (the user has the checkout link) → `succeeded` (credited once, ledger
 * transaction set) | `failed` | `abandoned` | `flagged` (paid, but not what was initialized:
 * never credited, recorded in the audit log for an operator).
 */
export const TOPUP_STATUSES = [
  'initializing',
  'initialized',
  'succeeded',
  'failed',
  'abandoned',
  'flagged',
] as const;
export type TopupStatus = (typeof TOPUP_STATUSES)[number];
export const CHARGE_CURRENCIES = ['USD', 'NGN'] as const;
export type ChargeCurrency = (typeof CHARGE_CURRENCIES)[number];

export const MIN_TOPUP_CENTS = 100;
export const MAX_TOPUP_CENTS = 100_000;

/** Statuses from which a verified, matching payment may still be credited. */
export const CREDITABLE_STATUSES: readonly TopupStatus[] = [
  'initializing',
  'initialized',
  'abandoned',
  'failed',
];
/** Statuses the reconciler keeps asking Paystack about. */
export const OPEN_STATUSES: readonly TopupStatus[] = ['initializing', 'initialized'];

export const isCreditable = (status: TopupStatus) => CREDITABLE_STATUSES.includes(status);
export const isOpen = (status: TopupStatus) => OPEN_STATUSES.includes(status);

/**
 * Paystack allows only alphanumerics, `-`, `.` and `=` in a reference (no `_`), so ours are
 * `nmk-tu-` + 24 lowercase base32 characters (120 random bits).
 */
const REFERENCE_PATTERN = /^nmk-tu-[a-z2-7]{24}$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function newTopupReference(): string {
  const bytes = randomBytes(24);
  let out = '';
  for (const byte of bytes) out += BASE32[byte & 31];
  return `nmk-tu-${out}`;
}

export const isTopupReference = (value: string) => REFERENCE_PATTERN.test(value);

export interface Charge {
  currency: ChargeCurrency;
  /** Minor units of `currency` (cents for USD, kobo for NGN). */
  amountMinor: number;
  /** Whole NGN per USD for an NGN charge, else null. */
  ngnPerUsd: number | null;
}

/**
 * What Paystack must charge to credit `amountUsdCents`. With a whole-naira rate, one US cent is
 * exactly `ngnPerUsd` kobo (100 kobo per naira, 100 cents per dollar), so no rounding happens.
 */
export function chargeFor(amountUsdCents: number, currency: ChargeCurrency, ngnPerUsd: number): Charge {
  if (!Number.isSafeInteger(amountUsdCents) || amountUsdCents <= 0) {
    throw new RangeError('amount must be a positive integer number of cents');
  }
  if (currency === 'USD') return { currency, amountMinor: amountUsdCents, ngnPerUsd: null };
  if (!Number.isSafeInteger(ngnPerUsd) || ngnPerUsd <= 0)
    throw new RangeError('ngnPerUsd must be a positive integer');
  const amountMinor = amountUsdCents * ngnPerUsd;
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError('charge amount overflows');
  return { currency, amountMinor, ngnPerUsd };
}

/** The fields of a verify answer the decision needs. */
export interface VerifiedPayment {
  reference: string;
  status: string;
  amountMinor: number;
  currency: string;
}

export interface TopupTerms {
  reference: string;
  status: TopupStatus;
  chargeCurrency: ChargeCurrency;
  chargeAmountMinor: number;
  createdAt: Date;
}

export type Decision =
  | { action: 'credit' }
  | { action: 'flag'; reason: 'amount_mismatch' | 'currency_mismatch' | 'reference_mismatch' }
  | { action: 'fail'; reason: string }
  | { action: 'abandon' }
  | { action: 'wait' };

/**
 * What to do with a top-up given Paystack's verify answer. Only `success` with exactly the
 * initialized amount and currency (and our reference) credits; a paid mismatch is flagged, never
 * credited. `failed`/`reversed` are final; `abandoned` becomes final only after `abandonAfterMs`
 * (the customer may still come back to the checkout page before that).
 */
export function decide(
  topup: TopupTerms,
  verified: VerifiedPayment,
  now: Date,
  abandonAfterMs: number,
): Decision {
  if (verified.reference !== topup.reference) return { action: 'flag', reason: 'reference_mismatch' };
  if (verified.status === 'success') {
    if (verified.currency.toUpperCase() !== topup.chargeCurrency)
      return { action: 'flag', reason: 'currency_mismatch' };
    if (verified.amountMinor !== topup.chargeAmountMinor)
      return { action: 'flag', reason: 'amount_mismatch' };
    return { action: 'credit' };
  }
  if (verified.status === 'failed' || verified.status === 'reversed') {
    return { action: 'fail', reason: `paystack_${verified.status}` };
  }
  if (verified.status === 'abandoned' && isOlderThan(topup.createdAt, now, abandonAfterMs))
    return { action: 'abandon' };
  return { action: 'wait' };
}

export const isOlderThan = (at: Date, now: Date, ms: number) => now.getTime() - at.getTime() >= ms;

/** What the browser is told after the Paystack redirect. */
export function publicStatus(
  status: TopupStatus,
): 'pending' | 'succeeded' | 'failed' | 'abandoned' | 'review' {
  switch (status) {
    case 'initializing':
    case 'initialized':
      return 'pending';
    case 'flagged':
      return 'review';
    default:
      return status;
  }
}

/** The meaning of a wallet statement line, from the ledger transaction kind. */
export function statementMeaning(kind: string): string {
  switch (kind) {
    case 'topup':
      return 'top-up';
    default:
      return kind;
  }
}
