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
export const TOPUP_REFERENCE_PATTERN = /^nmk-tu-[a-z2-7]{24}$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function newTopupReference(): string {
  const bytes = randomBytes(24);
  let out = '';
  for (const byte of bytes) out += BASE32[byte & 31];
  return `nmk-tu-${out}`;
}

export const isTopupReference = (value: string) => TOPUP_REFERENCE_PATTERN.test(value);

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

// ---- refunds and disputes (money Paystack takes back from a credited top-up)

/**
 * `requested` (row written, Paystack not yet asked or not yet answered) → `pending` |
 * `processing` | `needs-attention` (Paystack's in-flight states) → `processed` (paid back to the
 * payer: taken back from the wallet once, ledger transaction set) | `failed` (Paystack could not
 * pay it; nothing taken). `unknown`: the refund call's outcome is unknown (a timeout), so it may
 * exist at Paystack and still counts against what is refundable. `rejected`: Paystack refused it.
 */
export const REFUND_STATUSES = [
  'requested',
  'unknown',
  'pending',
  'processing',
  'needs-attention',
  'processed',
  'failed',
  'rejected',
] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
/** Refunds that may still pay money back: they count against what is left to refund. */
export const OPEN_REFUND_STATUSES: readonly RefundStatus[] = [
  'requested',
  'unknown',
  'pending',
  'processing',
  'needs-attention',
];
export const isFinalRefundStatus = (status: RefundStatus) =>
  status === 'processed' || status === 'failed' || status === 'rejected';

/** Our status for a Paystack refund status; anything unheard of is treated as still pending. */
export function refundStatusOf(paystackStatus: string): RefundStatus {
  switch (paystackStatus) {
    case 'processed':
    case 'failed':
    case 'processing':
    case 'needs-attention':
      return paystackStatus;
    default:
      return 'pending';
  }
}

/** `open` (the disputed amount is taken back) → `won` (the platform keeps the money: given back) | `lost` (the payer keeps it). */
export const DISPUTE_STATUSES = ['open', 'won', 'lost'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

/**
 * What a Paystack dispute means for us: open until `resolved`; then `declined` (the merchant
 * declined the claim and kept the money) is won, `merchant-accepted` (the merchant accepted the
 * claim: the payer is refunded) is lost. Any other resolution is left open for an operator.
 */
export function disputeOutcome(dispute: { status: string; resolution: string | null }): DisputeStatus | null {
  if (dispute.status !== 'resolved') return 'open';
  if (dispute.resolution === 'declined') return 'won';
  if (dispute.resolution === 'merchant-accepted') return 'lost';
  return null;
}

/**
 * Wallet cents for `minor` units of a top-up's charge currency. One US cent is exactly `ngnPerUsd`
 * kobo at the rate the top-up was charged at; a kobo amount between two cents is rounded up, so
 * the platform never takes back less than the payer got back (the caller caps it at the top-up).
 */
export function centsForCharge(
  topup: { chargeCurrency: ChargeCurrency; ngnPerUsd: number | null },
  minor: number,
): number {
  if (topup.chargeCurrency === 'USD' || topup.ngnPerUsd === null) return minor;
  return Math.ceil(minor / topup.ngnPerUsd);
}

/** What is left of a top-up to refund: its amount less what was taken back and what refunds still in flight ask for. */
export function refundableCents(
  topup: { amountUsdCents: number; reversedUsdCents: number },
  inFlightCents: number,
) {
  return Math.max(0, topup.amountUsdCents - topup.reversedUsdCents - inFlightCents);
}
