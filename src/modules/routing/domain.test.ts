import { describe, expect, it } from 'vitest';
import {
  type ProviderFacts,
  SUCCESS_RATE_MARGIN,
  allowedProviders,
  cheapestOffer,
  rankProviders,
} from './domain.js';

const facts = (f: Partial<ProviderFacts> & Pick<ProviderFacts, 'name'>): ProviderFacts => ({
  costCents: 100,
  stock: 10,
  circuitOpen: false,
  ...f,
});

describe('allowedProviders', () => {
  it('is every configured provider without a rule, in the default order', () => {
    expect(allowedProviders(['fivesim', 'textverified'], undefined)).toEqual(['textverified', 'fivesim']);
    expect(allowedProviders(['fivesim'], undefined)).toEqual(['fivesim']);
  });

  it('a pin leaves only that provider (if configured); a disable removes one', () => {
    const both = ['textverified', 'fivesim'] as const;
    expect(allowedProviders(both, { service: 'x', pinned: 'fivesim', disabled: [] })).toEqual(['fivesim']);
    expect(allowedProviders(['textverified'], { service: 'x', pinned: 'fivesim', disabled: [] })).toEqual([]);
    expect(allowedProviders(both, { service: 'x', pinned: null, disabled: ['textverified'] })).toEqual([
      'fivesim',
    ]);
  });
});

describe('rankProviders', () => {
  it('cheapest first; a tie keeps the default preference', () => {
    const ranked = rankProviders([
      facts({ name: 'textverified', costCents: 95 }),
      facts({ name: 'fivesim', costCents: 90 }),
    ]);
    expect(ranked.map((f) => f.name)).toEqual(['fivesim', 'textverified']);
    const tie = rankProviders([
      facts({ name: 'fivesim', costCents: 95 }),
      facts({ name: 'textverified', costCents: 95 }),
    ]);
    expect(tie.map((f) => f.name)).toEqual(['textverified', 'fivesim']);
  });

  it('an open circuit goes last whatever its price; no stock after stock; unknown price after known', () => {
    const open = rankProviders([
      facts({ name: 'textverified', costCents: 10, circuitOpen: true }),
      facts({ name: 'fivesim', costCents: 500 }),
    ]);
    expect(open.map((f) => f.name)).toEqual(['fivesim', 'textverified']);
    const empty = rankProviders([
      facts({ name: 'textverified', stock: 0 }),
      facts({ name: 'fivesim', costCents: 900 }),
    ]);
    expect(empty.map((f) => f.name)).toEqual(['fivesim', 'textverified']);
    const unknown = rankProviders([
      facts({ name: 'textverified', costCents: null }),
      facts({ name: 'fivesim', costCents: 900 }),
    ]);
    expect(unknown.map((f) => f.name)).toEqual(['fivesim', 'textverified']);
  });
});

describe('rankProviders with measured success', () => {
  it('a provider clearly less successful goes after the others, however cheap', () => {
    const ranked = rankProviders([
      facts({ name: 'textverified', costCents: 80, successRate: 0.55 }),
      facts({ name: 'fivesim', costCents: 120, successRate: 0.9 }),
    ]);
    expect(ranked.map((f) => f.name)).toEqual(['fivesim', 'textverified']);
  });

  it('within the margin price decides; an unmeasured provider competes on price', () => {
    const close = rankProviders([
      facts({ name: 'textverified', costCents: 120, successRate: 0.9 }),
      facts({ name: 'fivesim', costCents: 80, successRate: 0.9 - SUCCESS_RATE_MARGIN }),
    ]);
    expect(close.map((f) => f.name)).toEqual(['fivesim', 'textverified']);
    const unmeasured = rankProviders([
      facts({ name: 'textverified', costCents: 120, successRate: 0.95 }),
      facts({ name: 'fivesim', costCents: 80, successRate: null }),
    ]);
    expect(unmeasured.map((f) => f.name)).toEqual(['fivesim', 'textverified']);
  });

  it('reachability and stock still come first', () => {
    const ranked = rankProviders([
      facts({ name: 'textverified', successRate: 0.99, circuitOpen: true }),
      facts({ name: 'fivesim', successRate: 0.3 }),
    ]);
    expect(ranked.map((f) => f.name)).toEqual(['fivesim', 'textverified']);
  });
});

describe('cheapestOffer', () => {
  it('is the cheapest priced provider with numbers, preferring a reachable one', () => {
    expect(
      cheapestOffer([
        facts({ name: 'textverified', costCents: 95 }),
        facts({ name: 'fivesim', costCents: 80, stock: 0 }),
      ])?.name,
    ).toBe('textverified');
    expect(
      cheapestOffer([
        facts({ name: 'textverified', costCents: 95 }),
        facts({ name: 'fivesim', costCents: 80, circuitOpen: true }),
      ])?.name,
    ).toBe('textverified');
    expect(cheapestOffer([facts({ name: 'fivesim', costCents: null })])).toBeUndefined();
  });
});
