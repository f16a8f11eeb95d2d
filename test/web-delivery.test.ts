import { describe, expect, it } from 'vitest';

// The web app is type-checked by its own project (`tsc -p web`, bundler resolution): loaded by path here.
const WEB_DELIVERY = '../web/src/delivery.ts';
interface Figure {
  orders: number;
  delivered: number;
  successRate: number;
  medianSecondsToCode: number | null;
}
const { describeDelivery, shortDelivery } = (await import(WEB_DELIVERY)) as {
  describeDelivery: (figure: Figure, window: 'last24h' | 'last7d') => string;
  shortDelivery: (delivery: { last24h: Figure | null; last7d: Figure | null } | undefined) => string;
};

const figure = (orders: number, delivered: number, medianSecondsToCode: number | null): Figure => ({
  orders,
  delivered,
  successRate: delivered / orders,
  medianSecondsToCode,
});

describe('the web app wording delivery figures', () => {
  it('says the share delivered, the median time and the sample', () => {
    expect(describeDelivery(figure(212, 200, 38), 'last7d')).toBe(
      '94% delivered · median 38 s (7 days, 212 orders)',
    );
    expect(describeDelivery(figure(20, 5, 300), 'last24h')).toBe(
      '25% delivered · median 5 min (24 h, 20 orders)',
    );
    // No code arrived at all: no median to give.
    expect(describeDelivery(figure(25, 0, null), 'last7d')).toBe('0% delivered (7 days, 25 orders)');
  });

  it('never rounds a miss up to 100% (or 57/100 down to 56)', () => {
    expect(describeDelivery(figure(250, 249, 12), 'last7d')).toMatch(/^99% delivered/);
    expect(shortDelivery({ last24h: null, last7d: figure(100, 57, 10) })).toBe('57% delivered');
  });

  it('shows nothing short while the 7-day window is below the minimum sample', () => {
    expect(shortDelivery({ last24h: null, last7d: null })).toBe('');
    expect(shortDelivery(undefined)).toBe('');
  });
});
