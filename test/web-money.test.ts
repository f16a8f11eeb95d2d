import { describe, expect, it } from 'vitest';

// The web app is type-checked by its own project (`tsc -p web`, bundler resolution): loaded by path here.
const WEB_MONEY = '../web/src/money.ts';
const { formatMoney } = (await import(WEB_MONEY)) as {
  formatMoney: (money: { amount: number; currency?: string }) => string;
};

describe('the web app formatting prices', () => {
  it('shows every currency an order may be paid in', () => {
    expect(formatMoney({ amount: 143, currency: 'USD' })).toBe('$1.43');
    expect(formatMoney({ amount: 1, currency: 'CREDIT' })).toBe('1 free credit');
    // A plan's included usage is counted in cents of USD (not a real currency code for Intl).
    expect(formatMoney({ amount: 122, currency: 'INCLUDED' })).toBe('$1.22 of included usage');
  });
});
