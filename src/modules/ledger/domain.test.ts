import { describe, expect, it } from 'vitest';
import { LedgerRuleError, accountRefOf, assertBalanced, movement } from './domain.js';

const wallet = { wallet: 'user-1' };
const escrow = { platform: 'escrow' } as const;

describe('ledger posting rules', () => {
  it('accepts a balanced posting of whole minor units', () => {
    expect(() => assertBalanced(movement(wallet, escrow, 250))).not.toThrow();
  });

  it.each([
    ['a single leg', [{ account: wallet, amount: 0 }], 'at least two legs'],
    [
      'a fraction of a cent',
      [
        { account: wallet, amount: -0.5 },
        { account: escrow, amount: 0.5 },
      ],
      'integer',
    ],
    [
      'a zero leg',
      [
        { account: wallet, amount: 0 },
        { account: escrow, amount: 0 },
      ],
      'cannot be zero',
    ],
    [
      'legs that do not sum to zero',
      [
        { account: wallet, amount: -100 },
        { account: escrow, amount: 99 },
      ],
      'sum to -1',
    ],
    [
      'an unsafe integer',
      [
        { account: wallet, amount: -(2 ** 53) },
        { account: escrow, amount: 2 ** 53 },
      ],
      'integer',
    ],
  ])('refuses %s with a reason', (_what, legs, reason) => {
    expect(() => assertBalanced(legs)).toThrow(LedgerRuleError);
    expect(() => assertBalanced(legs)).toThrow(reason);
  });

  it('moves only a positive whole amount', () => {
    expect(() => movement(wallet, escrow, 0)).toThrow('must be positive');
    expect(() => movement(wallet, escrow, 1.5)).toThrow('integer');
  });

  it('names stored accounts, and refuses a wallet row without its owner', () => {
    expect(accountRefOf({ kind: 'wallet', ownerId: 'user-1' })).toEqual(wallet);
    expect(accountRefOf({ kind: 'receivables', ownerId: null })).toEqual({ platform: 'receivables' });
    expect(() => accountRefOf({ kind: 'wallet', ownerId: null })).toThrow(LedgerRuleError);
  });
});
