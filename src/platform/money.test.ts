import { describe, expect, it } from 'vitest';
import {
  moneyIn,
  moneySchema,
  decimalToMinorUnits,
  formatMoney,
  minorUnitsToDecimalNumber,
  minorUnitsToDecimalString,
} from './money.js';

describe('decimalToMinorUnits', () => {
  it('converts provider decimals exactly, without float math', () => {
    expect(decimalToMinorUnits(0.95)).toBe(95);
    expect(decimalToMinorUnits('0.95')).toBe(95);
    expect(decimalToMinorUnits(1234.56)).toBe(123456);
    expect(decimalToMinorUnits(0.29)).toBe(29); // 0.29 * 100 === 28.999999999999996
    expect(decimalToMinorUnits(1.005)).toBe(101); // half-up on the text, not the binary value
    expect(decimalToMinorUnits(3)).toBe(300);
    expect(decimalToMinorUnits('.5')).toBe(50);
    expect(decimalToMinorUnits(-2.5)).toBe(-250);
    expect(decimalToMinorUnits(1e-7)).toBe(0);
    expect(() => decimalToMinorUnits(1e21)).toThrow(RangeError); // beyond safe integers
  });

  it('rounds extra digits as asked', () => {
    expect(decimalToMinorUnits('0.951', 'up')).toBe(96);
    expect(decimalToMinorUnits('0.959', 'down')).toBe(95);
    expect(decimalToMinorUnits('0.955', 'half_up')).toBe(96);
    expect(decimalToMinorUnits('0.954', 'half_up')).toBe(95);
  });

  it('refuses junk', () => {
    expect(() => decimalToMinorUnits('abc')).toThrow(RangeError);
    expect(() => decimalToMinorUnits('')).toThrow(RangeError);
    expect(() => decimalToMinorUnits(Number.NaN)).toThrow(RangeError);
  });

  it('formats cents back to decimals', () => {
    expect(minorUnitsToDecimalString(95)).toBe('0.95');
    expect(minorUnitsToDecimalString(5)).toBe('0.05');
    expect(minorUnitsToDecimalString(-1200)).toBe('-12.00');
    expect(minorUnitsToDecimalNumber(75)).toBe(0.75);
  });
});

describe('formatMoney', () => {
  it.each([
    [1205, 'USD', '$12.05'],
    [5, 'USD', '$0.05'],
    [1600050, 'NGN', 'NGN 16,000.50'],
    [-250, 'USD', '-$2.50'],
    [123456789, 'USD', '$1,234,567.89'],
  ])('%i %s → %s', (units, currency, text) => {
    expect(formatMoney(units, currency)).toBe(text);
  });
});

describe('moneySchema / moneyIn', () => {
  it('accepts integer minor units in a known currency', () => {
    expect(moneySchema.parse({ amount: 95, currency: 'NGN' })).toEqual({ amount: 95, currency: 'NGN' });
    expect(moneyIn(['USD', 'CREDIT']).parse({ amount: 1, currency: 'CREDIT' })).toEqual({
      amount: 1,
      currency: 'CREDIT',
    });
  });

  it('refuses fractions, unknown currencies and currencies outside the narrowed list', () => {
    expect(moneySchema.safeParse({ amount: 0.95, currency: 'USD' }).success).toBe(false);
    expect(moneySchema.safeParse({ amount: 95, currency: 'EUR' }).success).toBe(false);
    expect(moneyIn(['USD']).safeParse({ amount: 1, currency: 'CREDIT' }).success).toBe(false);
  });
});
