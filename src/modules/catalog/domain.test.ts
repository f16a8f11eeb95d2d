import { describe, expect, it } from 'vitest';
import { applyBasisPointsUp, optionRefusedByTier, priceVerification, type TierPricing } from './domain.js';

const payg: TierPricing = {
  priceMultiplierBps: 10000,
  areaCodeAllowed: true,
  areaCodeSurchargeCents: 25,
  carrierAllowed: true,
  carrierSurchargeCents: 50,
  voiceAllowed: true,
};
const pro: TierPricing = {
  ...payg,
  priceMultiplierBps: 8500,
  areaCodeSurchargeCents: 0,
  carrierSurchargeCents: 0,
};
const custom: TierPricing = { ...pro, priceMultiplierBps: 7500 };
const freemium: TierPricing = {
  ...payg,
  areaCodeAllowed: false,
  carrierAllowed: false,
  voiceAllowed: false,
  areaCodeSurchargeCents: 0,
  carrierSurchargeCents: 0,
};

describe('applyBasisPointsUp', () => {
  it('rounds up to the next cent', () => {
    expect(applyBasisPointsUp(95, 15000)).toBe(143); // 142.5 → 143
    expect(applyBasisPointsUp(100, 15000)).toBe(150);
    expect(applyBasisPointsUp(1, 15000)).toBe(2);
    expect(applyBasisPointsUp(0, 15000)).toBe(0);
    expect(applyBasisPointsUp(143, 8500)).toBe(122); // 121.55 → 122
    expect(applyBasisPointsUp(143, 7500)).toBe(108); // 107.25 → 108
    expect(applyBasisPointsUp(200, 7500)).toBe(150);
  });
  it('refuses fractions and negatives', () => {
    expect(() => applyBasisPointsUp(1.5, 15000)).toThrow(RangeError);
    expect(() => applyBasisPointsUp(-1, 15000)).toThrow(RangeError);
    expect(() => applyBasisPointsUp(10, 0)).toThrow(RangeError);
    expect(() => applyBasisPointsUp(10, 1.5)).toThrow(RangeError);
  });
});

describe('priceVerification', () => {
  it('cost × markup (up) × tier (up) + surcharges', () => {
    expect(
      priceVerification({
        providerCostCents: 95,
        markupBps: 15000,
        tier: payg,
        areaCode: false,
        carrier: false,
      }).totalCents,
    ).toBe(143);
    expect(
      priceVerification({
        providerCostCents: 95,
        markupBps: 15000,
        tier: payg,
        areaCode: true,
        carrier: true,
      }).totalCents,
    ).toBe(143 + 75);
    expect(
      priceVerification({ providerCostCents: 95, markupBps: 15000, tier: pro, areaCode: true, carrier: true })
        .totalCents,
    ).toBe(122);
    expect(
      priceVerification({
        providerCostCents: 95,
        markupBps: 15000,
        tier: custom,
        areaCode: true,
        carrier: false,
      }).totalCents,
    ).toBe(108);
  });
  it('is the same at any scale without float drift', () => {
    for (let cost = 0; cost < 2000; cost += 7) {
      const p = priceVerification({
        providerCostCents: cost,
        markupBps: 13337,
        tier: pro,
        areaCode: false,
        carrier: false,
      });
      expect(Number.isInteger(p.totalCents)).toBe(true);
      expect(p.markedUpCents * 10000).toBeGreaterThanOrEqual(cost * 13337);
      expect((p.markedUpCents - 1) * 10000).toBeLessThan(cost * 13337);
    }
  });
});

describe('optionRefusedByTier', () => {
  it('gates options by tier', () => {
    expect(optionRefusedByTier(freemium, { capability: 'voice', areaCode: false, carrier: false })).toBe(
      'voice',
    );
    expect(optionRefusedByTier(freemium, { capability: 'sms', areaCode: true, carrier: false })).toBe(
      'area_code',
    );
    expect(optionRefusedByTier(freemium, { capability: 'sms', areaCode: false, carrier: true })).toBe(
      'carrier',
    );
    expect(optionRefusedByTier(freemium, { capability: 'sms', areaCode: false, carrier: false })).toBeNull();
    expect(optionRefusedByTier(payg, { capability: 'voice', areaCode: true, carrier: true })).toBeNull();
  });
});
