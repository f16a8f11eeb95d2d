import { describe, expect, it } from 'vitest';
import { acceptedProviderCost, refusalOf, refusalOfAll, smsDedupeKey } from './domain.js';

const failure = (kind: string, extra: { ambiguous?: boolean; circuitOpen?: boolean } = {}) => ({
  kind,
  ambiguous: extra.ambiguous ?? false,
  circuitOpen: extra.circuitOpen ?? false,
});

describe('what an order may cost at the provider', () => {
  it('is the quoted cost, or up to the user price before surcharges when that is higher', () => {
    expect(acceptedProviderCost({ providerCostCents: 95, tierAdjustedCents: 143 })).toBe(143);
    // A discount tier below cost still accepts the quoted provider cost (as before routing).
    expect(acceptedProviderCost({ providerCostCents: 95, tierAdjustedCents: 72 })).toBe(95);
  });
});

describe('refusals of either provider', () => {
  it('reads 5sim kinds like TextVerified ones', () => {
    expect(refusalOf(failure('unavailable'))?.code).toBe('out_of_stock');
    expect(refusalOf(failure('insufficient_balance'))?.code).toBe('provider_unavailable');
    expect(refusalOf(failure('not_enough_rating'))?.code).toBe('provider_unavailable');
    expect(refusalOf(failure('server_error', { circuitOpen: true }))?.code).toBe('provider_unavailable');
    expect(refusalOf(failure('timeout', { ambiguous: true }))).toBeNull();
  });

  it('all refused: "no numbers" when any said so, else the last refusal', () => {
    const none = refusalOf(failure('unavailable'))!;
    const down = refusalOf(failure('insufficient_balance'))!;
    const rejected = refusalOf(failure('bad_request'))!;
    expect(refusalOfAll([down, none]).code).toBe('out_of_stock');
    expect(refusalOfAll([none, down]).code).toBe('out_of_stock');
    expect(refusalOfAll([down, rejected]).code).toBe('provider_rejected');
    expect(refusalOfAll([]).code).toBe('provider_unavailable');
  });
});

describe('SMS dedupe keys', () => {
  it("keeps TextVerified's stored form and keys other providers apart", () => {
    const sms = { reservationId: '42', createdAt: new Date(0), text: 'code 1234' };
    expect(smsDedupeKey(sms)).toBe(smsDedupeKey({ ...sms, provider: 'textverified' }));
    expect(smsDedupeKey(sms).startsWith('tv:42:0:')).toBe(true);
    expect(smsDedupeKey({ ...sms, provider: 'fivesim' }).startsWith('fivesim:42:0:')).toBe(true);
  });
});
