import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asPrincipal, testPrincipal } from '../../../test/support/principal.js';
import { fundWallet } from '../../../test/support/wallet.js';
import type { Principal } from '../../platform/http/principal.js';
import { app, testDb, useProviderApp } from './provider-app.suite.js';
import type { VerificationView } from './views.js';
import { INCLUDED_USAGE_CURRENCY, checkLedgerInvariants } from '../ledger/index.js';

useProviderApp('whsec_included_usage');

async function buy(principal: Principal): Promise<VerificationView> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/verifications',
    headers: asPrincipal(principal),
    payload: { service: 'whatsapp', country: 'US' },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<VerificationView>();
}

const summary = (userId: string, currency: string) =>
  app.services.ledger.walletSummary(testDb.database.db, userId, currency);

describe('paying for a verification', () => {
  it('spends the sign-up credit, then the included usage, before the wallet; a cancel gives it back', async () => {
    const account = await app.services.accounts.createUser({
      email: `${randomUUID().slice(0, 12)}@example.test`,
      password: 'a long enough password',
    });
    const userId = account!.id;
    await fundWallet(testDb.database.db, userId, 10_000);
    await app.services.subscriptions.changeTier(userId, 'pro');
    const user = testPrincipal({ userId, email: account!.email, tier: 'pro' });
    const usdBefore = await summary(userId, 'USD');
    expect(await summary(userId, INCLUDED_USAGE_CURRENCY)).toEqual({ balance: 1500, held: 0 });

    const first = await buy(user);
    expect(first.price).toEqual({ amount: 1, currency: 'CREDIT' });

    // Pro pays 0.95 × 1.5 × 0.85 → 122 cents, out of the period's 1500 of included usage.
    const second = await buy(user);
    expect(second.price).toEqual({ amount: 122, currency: INCLUDED_USAGE_CURRENCY });
    expect(await summary(userId, INCLUDED_USAGE_CURRENCY)).toEqual({ balance: 1378, held: 122 });
    expect(await summary(userId, 'USD')).toEqual(usdBefore);

    const canceled = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${second.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(await summary(userId, INCLUDED_USAGE_CURRENCY)).toEqual({ balance: 1500, held: 0 });
    expect(await summary(userId, 'USD')).toEqual(usdBefore);
    expect((await checkLedgerInvariants(testDb.database.db)).violations).toEqual([]);
  });
});
