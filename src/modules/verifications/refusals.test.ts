import { describe, expect, it } from 'vitest';
import { TextVerifiedError, type TextVerifiedErrorKind } from '../../providers/textverified/index.js';
import { refusalOf, refusalOfRetry } from './domain.js';

const error = (kind: TextVerifiedErrorKind, init: { ambiguous?: boolean; circuitOpen?: boolean } = {}) =>
  new TextVerifiedError(kind, `provider said ${kind}`, init);

describe('what a provider error means for an order', () => {
  it('on the first create: each answer the provider gave without acting is a refusal with its own code', () => {
    const codes = (['unavailable', 'pricing_failure', 'bad_request', 'insufficient_balance'] as const).map(
      (kind) => [kind, refusalOf(error(kind))?.code, refusalOf(error(kind))?.status],
    );
    expect(codes).toEqual([
      ['unavailable', 'out_of_stock', 409],
      ['pricing_failure', 'price_changed', 409],
      ['bad_request', 'provider_rejected', 422],
      ['insufficient_balance', 'provider_unavailable', 503],
    ]);
    // Never sent (circuit open): nothing was bought, so the user is refused, not kept waiting.
    expect(refusalOf(error('network', { circuitOpen: true }))?.code).toBe('provider_unavailable');
    // The number may have been bought: no refusal, the order stays pending for the reconciler.
    expect(refusalOf(error('timeout', { ambiguous: true }))).toBeNull();
  });

  it('on a retry: only the provider refusing the order itself proves nothing was bought', () => {
    expect(refusalOfRetry(error('unavailable'))?.code).toBe('out_of_stock');
    expect(refusalOfRetry(error('pricing_failure'))?.code).toBe('price_changed');
    expect(refusalOfRetry(error('too_many_unfinished'))?.code).toBe('provider_unavailable');
    for (const unknown of [
      error('unavailable', { circuitOpen: true }),
      error('server_error', { ambiguous: true }),
      error('rate_limited'),
      error('unauthorized'),
      error('idempotency_conflict'),
    ]) {
      expect(refusalOfRetry(unknown), unknown.kind).toBeNull();
    }
  });
});
