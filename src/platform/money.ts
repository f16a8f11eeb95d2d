/**
 * Decimal dollars ⇄ integer cents, done on strings so no float arithmetic ever touches money.
 * TextVerified sends prices and balances as JSON numbers (`0.95`); `String(0.95)` is the shortest
 * text that round-trips, i.e. exactly what the provider wrote, so we parse that text.
 */

import { z } from 'zod';

/**
 * Every currency an amount may be in: USD (wallets, prices), NGN (what Paystack charges),
 * CREDIT (free verifications, one unit each) and INCLUDED (cents of a plan's included usage).
 */
const CURRENCIES = ['USD', 'NGN', 'CREDIT', 'INCLUDED'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** An amount in integer minor units (cents, kobo, or whole credits) of one currency. */
export interface Money<C extends Currency = Currency> {
  amount: number;
  currency: C;
}

/** The zod schema of `Money` in the currencies a response may carry. */
export function moneyIn<const C extends readonly [Currency, ...Currency[]]>(currencies: C) {
  return z.object({ amount: z.number().int(), currency: z.enum(currencies) });
}

/** The zod schema of `Money` in any currency. */
export const moneySchema = moneyIn(CURRENCIES);

export type Rounding = 'half_up' | 'up' | 'down';

const DIGITS = /^\d*$/;

/** `"0.95"` → 95, `1.5` → 150, `"12"` → 1200. Extra fraction digits are rounded (default half-up, away from zero). */
export function decimalToMinorUnits(
  value: string | number,
  rounding: Rounding = 'half_up',
  exponent = 2,
): number {
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new RangeError(`not a finite amount: ${value}`);
  const text = String(value).trim();
  const invalid = () => new RangeError(`not a decimal amount: ${JSON.stringify(text)}`);
  const negative = text.startsWith('-');
  const unsigned = /^[+-]/.test(text) ? text.slice(1) : text;
  const [mantissa = '', exp, ...rest] = unsigned.toLowerCase().split('e');
  if (rest.length > 0 || (exp !== undefined && !/^[+-]?\d+$/.test(exp))) throw invalid();
  const [whole = '', fraction = '', ...more] = mantissa.split('.');
  if (more.length > 0 || !DIGITS.test(whole) || !DIGITS.test(fraction) || whole + fraction === '')
    throw invalid();
  let intPart = whole;
  let fracPart = fraction;
  // Normalise scientific notation (String(1e-7) === '1e-7') by shifting the decimal point.
  const shift = exp === undefined ? 0 : Number(exp);
  if (shift > 0) {
    const moved = fracPart.padEnd(shift, '0');
    intPart += moved.slice(0, shift);
    fracPart = moved.slice(shift);
  } else if (shift < 0) {
    const moved = intPart.padStart(-shift, '0');
    fracPart = moved.slice(moved.length + shift) + fracPart;
    intPart = moved.slice(0, moved.length + shift);
  }
  const kept = fracPart.slice(0, exponent).padEnd(exponent, '0');
  const dropped = fracPart.slice(exponent);
  let units = BigInt((intPart || '0') + kept);
  const droppedNonZero = /[1-9]/.test(dropped);
  if (droppedNonZero) {
    if (rounding === 'up') units += 1n;
    else if (rounding === 'half_up' && (dropped[0] ?? '0') >= '5') units += 1n;
  }
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`amount too large: ${text}`);
  const result = Number(units);
  return negative && result !== 0 ? -result : result;
}

/** 95 → `"0.95"`, -1200 → `"-12.00"`. */
export function minorUnitsToDecimalString(units: number, exponent = 2): string {
  if (!Number.isSafeInteger(units)) throw new RangeError(`not an integer amount: ${units}`);
  const digits = Math.abs(units)
    .toString()
    .padStart(exponent + 1, '0');
  const text = `${digits.slice(0, digits.length - exponent)}.${digits.slice(digits.length - exponent)}`;
  return units < 0 ? `-${text}` : text;
}

/** 95 → 0.95 as a JSON number (parsed from the exact decimal text). */
export function minorUnitsToDecimalNumber(units: number, exponent = 2): number {
  return Number(minorUnitsToDecimalString(units, exponent));
}

/** A human-readable amount for memos and e-mails, e.g. `$12.05` or `NGN 16,000.50`; string math only. */
export function formatMoney(units: number, currency: string): string {
  const negative = units < 0;
  const [whole = '0', fraction = '00'] = minorUnitsToDecimalString(Math.abs(units)).split('.');
  const groups: string[] = [];
  for (let end = whole.length; end > 0; end -= 3) groups.unshift(whole.slice(Math.max(0, end - 3), end));
  const grouped = groups.join(',');
  const text = currency === 'USD' ? `$${grouped}.${fraction}` : `${currency} ${grouped}.${fraction}`;
  return negative ? `-${text}` : text;
}
