import { describe, expect, it } from 'vitest';
import {
  centsForCharge,
  chargeFor,
  decide,
  disputeOutcome,
  refundStatusOf,
  refundableCents,
  isTopupReference,
  newTopupReference,
  publicStatus,
  type TopupTerms,
} from './domain.js';

const terms = (overrides: Partial<TopupTerms> = {}): TopupTerms => ({
  reference: 'nmk-tu-aaaaaaaaaaaaaaaaaaaaaaaa',
  status: 'initialized',
  chargeCurrency: 'USD',
  chargeAmountMinor: 500,
  createdAt: new Date('2030-01-01T00:00:00Z'),
  ...overrides,
});
const paid = (
  overrides: Partial<{ reference: string; status: string; amountMinor: number; currency: string }> = {},
) => ({
  reference: 'nmk-tu-aaaaaaaaaaaaaaaaaaaaaaaa',
  status: 'success',
  amountMinor: 500,
  currency: 'USD',
  ...overrides,
});
const at = (minutes: number) => new Date(Date.parse('2030-01-01T00:00:00Z') + minutes * 60_000);
const TWO_HOURS = 2 * 3600_000;

describe('top-up rules', () => {
  it('references are Paystack-safe, unique and recognisable', () => {
    const refs = new Set(Array.from({ length: 1000 }, newTopupReference));
    expect(refs.size).toBe(1000);
    for (const ref of refs) {
      expect(ref).toMatch(/^[A-Za-z0-9.=-]{1,100}$/);
      expect(isTopupReference(ref)).toBe(true);
    }
    expect(isTopupReference('nmk_tu_abc')).toBe(false);
    expect(isTopupReference('../etc')).toBe(false);
  });

  it('a USD charge is the amount itself; an NGN charge is cents × whole-naira rate in kobo', () => {
    expect(chargeFor(500, 'USD', 1600)).toEqual({ currency: 'USD', amountMinor: 500, ngnPerUsd: null });
    // $10.00 at 1600 NGN/USD = NGN 16,000.00 = 1,600,000 kobo.
    expect(chargeFor(1000, 'NGN', 1600)).toEqual({
      currency: 'NGN',
      amountMinor: 1_600_000,
      ngnPerUsd: 1600,
    });
    expect(() => chargeFor(10.5, 'USD', 1600)).toThrow(RangeError);
    expect(() => chargeFor(0, 'USD', 1600)).toThrow(RangeError);
    expect(() => chargeFor(100, 'NGN', 0)).toThrow(RangeError);
  });

  it('credits only success with exactly the initialized amount, currency and reference', () => {
    expect(decide(terms(), paid(), at(1), TWO_HOURS)).toEqual({ action: 'credit' });
    expect(decide(terms(), paid({ amountMinor: 499 }), at(1), TWO_HOURS)).toEqual({
      action: 'flag',
      reason: 'amount_mismatch',
    });
    expect(decide(terms(), paid({ amountMinor: 5000 }), at(1), TWO_HOURS)).toEqual({
      action: 'flag',
      reason: 'amount_mismatch',
    });
    expect(decide(terms(), paid({ currency: 'NGN' }), at(1), TWO_HOURS)).toEqual({
      action: 'flag',
      reason: 'currency_mismatch',
    });
    expect(decide(terms(), paid({ reference: 'other' }), at(1), TWO_HOURS)).toEqual({
      action: 'flag',
      reason: 'reference_mismatch',
    });
    expect(decide(terms(), paid({ currency: 'usd' }), at(1), TWO_HOURS)).toEqual({ action: 'credit' });
  });

  it('failed and reversed are final; abandoned only after the abandon window; in-flight waits', () => {
    expect(decide(terms(), paid({ status: 'failed' }), at(1), TWO_HOURS)).toEqual({
      action: 'fail',
      reason: 'paystack_failed',
    });
    expect(decide(terms(), paid({ status: 'reversed' }), at(1), TWO_HOURS)).toEqual({
      action: 'fail',
      reason: 'paystack_reversed',
    });
    expect(decide(terms(), paid({ status: 'abandoned' }), at(60), TWO_HOURS)).toEqual({ action: 'wait' });
    expect(decide(terms(), paid({ status: 'abandoned' }), at(120), TWO_HOURS)).toEqual({ action: 'abandon' });
    expect(decide(terms(), paid({ status: 'ongoing' }), at(500), TWO_HOURS)).toEqual({ action: 'wait' });
  });

  it('tells the browser a coarse status', () => {
    expect(publicStatus('initializing')).toBe('pending');
    expect(publicStatus('initialized')).toBe('pending');
    expect(publicStatus('succeeded')).toBe('succeeded');
    expect(publicStatus('flagged')).toBe('review');
  });
});

describe('refunds and disputes', () => {
  it('converts a charge amount to wallet cents at the top-up rate, rounding a part-cent up', () => {
    expect(centsForCharge({ chargeCurrency: 'USD', ngnPerUsd: null }, 250)).toBe(250);
    expect(centsForCharge({ chargeCurrency: 'NGN', ngnPerUsd: 1600 }, 320_000)).toBe(200);
    expect(centsForCharge({ chargeCurrency: 'NGN', ngnPerUsd: 1600 }, 320_001)).toBe(201);
  });

  it('what is left to refund never goes below zero', () => {
    expect(refundableCents({ amountUsdCents: 1000, reversedUsdCents: 300 }, 200)).toBe(500);
    expect(refundableCents({ amountUsdCents: 1000, reversedUsdCents: 900 }, 200)).toBe(0);
  });

  it('reads Paystack refund statuses, unknown ones as pending', () => {
    expect(refundStatusOf('processed')).toBe('processed');
    expect(refundStatusOf('needs-attention')).toBe('needs-attention');
    expect(refundStatusOf('queued')).toBe('pending');
  });

  it('a dispute is open until resolved; declined is won, merchant-accepted lost, anything else undecided', () => {
    expect(disputeOutcome({ status: 'awaiting-merchant-feedback', resolution: null })).toBe('open');
    expect(disputeOutcome({ status: 'resolved', resolution: 'declined' })).toBe('won');
    expect(disputeOutcome({ status: 'resolved', resolution: 'merchant-accepted' })).toBe('lost');
    expect(disputeOutcome({ status: 'resolved', resolution: 'something-new' })).toBeNull();
  });
});
