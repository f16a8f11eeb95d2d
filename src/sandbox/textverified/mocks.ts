/**
 * The real API's test mode (contract §A.3): `test_*` service names and the fixed `mock_ver_*` ids
 * answer with canned verifications and never charge.
 */
import { bad } from './account.js';
import { MOCK_PRICE_CENTS } from './catalog.js';
import { isAboveMaxPrice } from './money.js';
import { newId, type SandboxVerification } from './verification.js';

export const MOCK_CODE = '123456';
export const MOCK_SMS_TEXT = `Your verification code is ${MOCK_CODE}`;

function mockRecord(
  id: string,
  serviceName: string,
  now: Date,
  ttlMs: number,
  frozen: boolean,
  idempotencyKey: string | null,
  capability = 'sms',
): SandboxVerification {
  return {
    id,
    saleId: id.replace(/^mock_ver_/, 'mock_sale_ver_'),
    number: '2223334444',
    serviceName,
    capability,
    state: 'verificationPending',
    totalCostCents: MOCK_PRICE_CENTS,
    chargedCents: 0,
    createdAt: now,
    endsAt: new Date(now.getTime() + ttlMs),
    sms: [],
    mock: true,
    frozen,
    reusableUntil: null,
    reactivatableUntil: null,
    completedAt: null,
    renewedBy: null,
    idempotencyKey,
  };
}

function completeMock(v: SandboxVerification, at: Date, reusableUntil: Date | null): void {
  v.sms.push({
    id: newId('sms_'),
    from: '+12025550123',
    to: v.number,
    createdAt: at,
    smsContent: MOCK_SMS_TEXT,
    parsedCode: MOCK_CODE,
    encrypted: false,
    reservationId: v.id,
  });
  v.state = 'verificationCompleted';
  v.completedAt = at;
  v.reusableUntil = reusableUntil;
}

/** Far enough for a test run: the test mode names no end to `test_reactivatable`'s offer. */
const REACTIVATABLE_FOR_MS = 365 * 86_400_000;

/**
 * A `test_*` purchase: the refusal scenarios throw; the others return their record, completed,
 * timed out or pending (test_delayed_success gets its SMS from the caller's timer).
 */
export function mockPurchase(
  name: string,
  capability: string,
  maxPrice: number | null,
  idempotencyKey: string | null,
  now: Date,
  ttlMs: number,
): SandboxVerification {
  switch (name) {
    case 'test_insufficient_balance':
      throw bad('Your balance is too low for this purchase.', 'InsufficientBalance');
    case 'test_no_numbers':
      throw bad('No numbers are available right now.', 'Unavailable');
    case 'test_too_many_unfinished_verifications':
      throw bad('Too many unfinished verifications.', 'TooManyUnfinishedVerifications');
    default:
      break;
  }
  if (maxPrice !== null && isAboveMaxPrice(MOCK_PRICE_CENTS, maxPrice))
    throw bad('The price is above maxPrice.', 'PricingFailure');
  const prefix = name === 'test_delayed_success' ? 'mock_ver_delay_' : 'mock_ver_';
  const v = mockRecord(newId(prefix), name, now, ttlMs, false, idempotencyKey, capability);
  switch (name) {
    case 'test_success':
      completeMock(v, now, new Date(now.getTime() + 30_000));
      break;
    case 'test_reactivatable':
      completeMock(v, now, new Date(now.getTime() - 60_000));
      v.reactivatableUntil = new Date(now.getTime() + REACTIVATABLE_FOR_MS);
      break;
    case 'test_timeout':
      v.state = 'verificationTimedOut';
      v.endsAt = now;
      break;
    default:
      break;
  }
  return v;
}

/** The fixed ids of the real test mode, readable directly. */
export function fixedMocks(now: Date, ttlMs: number): SandboxVerification[] {
  const add = (id: string, service: string, setup: (v: SandboxVerification) => void) => {
    const v = mockRecord(id, service, now, ttlMs, true, null);
    setup(v);
    return v;
  };
  return [
    add('mock_ver_success', 'test_success', (v) => completeMock(v, now, new Date(now.getTime() + 30_000))),
    add('mock_ver_pending', 'test_pending', (v) => {
      v.endsAt = new Date(now.getTime() + 365 * 86_400_000);
    }),
    add('mock_ver_reactivatable', 'test_reactivatable', (v) => {
      completeMock(v, now, new Date(now.getTime() - 60_000));
      v.reactivatableUntil = new Date(now.getTime() + REACTIVATABLE_FOR_MS);
    }),
    add('mock_ver_timeout', 'test_timeout', (v) => {
      v.state = 'verificationTimedOut';
      v.endsAt = now;
    }),
    add('mock_ver_cancelled', 'test_pending', (v) => {
      v.state = 'verificationCanceled';
    }),
    add('mock_ver_reported', 'test_success', (v) => {
      completeMock(v, now, null);
      v.state = 'verificationReported';
    }),
    add('mock_ver_reused', 'test_success', (v) => {
      completeMock(v, now, new Date(now.getTime() + 30_000));
    }),
  ];
}

/**
 * What a reuse or reactivation of a test-mode verification creates: a new `mock_ver_…` id on the
 * same number, pending, never charged (its SMS comes from the caller's timer).
 */
export function mockRenewal(original: SandboxVerification, now: Date, ttlMs: number): SandboxVerification {
  const v = mockRecord(
    newId('mock_ver_'),
    original.serviceName,
    now,
    ttlMs,
    false,
    null,
    original.capability,
  );
  v.number = original.number;
  return v;
}
