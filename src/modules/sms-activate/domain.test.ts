import { describe, expect, it } from 'vitest';
import {
  codeOfService,
  countryOfId,
  maxPriceCents,
  serviceOfCode,
  statusRequestOf,
  statusToken,
  tokenOfError,
} from './domain.js';

describe('codes', () => {
  it('maps SMS-Activate service codes to the catalogue and back, names passing through', () => {
    expect(serviceOfCode('wa')).toBe('whatsapp');
    expect(serviceOfCode(' TG ')).toBe('telegram');
    expect(serviceOfCode('kraken')).toBe('kraken');
    expect(codeOfService('whatsapp')).toBe('wa');
    expect(codeOfService('kraken')).toBe('kraken');
  });

  it('maps country ids, defaulting to the United States, refusing the unknown', () => {
    expect(countryOfId('187')).toBe('US');
    expect(countryOfId('12')).toBe('US');
    expect(countryOfId(undefined)).toBe('US');
    expect(countryOfId('')).toBe('US');
    expect(countryOfId('999')).toBeUndefined();
    expect(countryOfId('1e3')).toBeUndefined();
  });

  it('reads maxPrice as decimal dollars without floats', () => {
    expect(maxPriceCents(undefined)).toBeUndefined();
    expect(maxPriceCents('1.43')).toBe(143);
    expect(maxPriceCents('2')).toBe(200);
    expect(maxPriceCents('0.5')).toBe(50);
    expect(maxPriceCents('1.005')).toBeNull();
    expect(maxPriceCents('-1')).toBeNull();
    expect(maxPriceCents('abc')).toBeNull();
  });

  it('reads setStatus codes 1, 3, 6, 8 and the older -1', () => {
    expect(['1', '3', '6', '8', '-1', '2', undefined].map(statusRequestOf)).toEqual([
      'ready',
      'retry',
      'finish',
      'cancel',
      'cancel',
      undefined,
      undefined,
    ]);
  });
});

describe('answers', () => {
  const state = { latestCode: '123456', messageCount: 1, retryAfterMessages: undefined };
  it('tells the state of an order as getStatus tokens', () => {
    expect(statusToken({ ...state, status: 'pending', latestCode: null, messageCount: 0 })).toBe(
      'STATUS_WAIT_CODE',
    );
    expect(statusToken({ ...state, status: 'active', latestCode: null, messageCount: 0 })).toBe(
      'STATUS_WAIT_CODE',
    );
    expect(statusToken({ ...state, status: 'completed' })).toBe('STATUS_OK:123456');
    expect(statusToken({ ...state, status: 'completed', retryAfterMessages: 1 })).toBe(
      'STATUS_WAIT_RETRY:123456',
    );
    expect(statusToken({ ...state, status: 'completed', messageCount: 2, retryAfterMessages: 1 })).toBe(
      'STATUS_OK:123456',
    );
    for (const status of ['canceled', 'expired', 'failed'] as const)
      expect(statusToken({ ...state, status })).toBe('STATUS_CANCEL');
  });

  it('turns refusals into the documented error words', () => {
    expect(tokenOfError('insufficient_funds')).toBe('NO_BALANCE');
    expect(tokenOfError('out_of_stock')).toBe('NO_NUMBERS');
    expect(tokenOfError('unauthenticated')).toBe('BAD_KEY');
    expect(tokenOfError('price_changed', { minPriceCents: 143 })).toBe('WRONG_MAX_PRICE:1.43');
    expect(tokenOfError('not_found')).toBe('NO_ACTIVATION');
    expect(tokenOfError('internal_error')).toBe('ERROR_SQL');
  });
});
