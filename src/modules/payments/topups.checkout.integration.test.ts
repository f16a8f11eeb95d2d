import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testPrincipal } from '../../../test/support/principal.js';
import { signWebhookBody } from '../../providers/paystack/index.js';
import { createPaymentsService } from './service.js';
import * as store from './store.js';
import { checkLedgerInvariants } from '../ledger/index.js';
import {
  testDb,
  useTopupsSuite,
  ledger,
  SECRET,
  PUBLIC_URL,
  db,
  sandbox,
  client,
  app,
  appUrl,
  reconciler,
  silent,
  createTopup,
  type TopupBody,
  initialized,
  get,
  available,
  topupLines,
  auditFor,
  callback,
  pressPay,
  chargeSuccessBody,
} from './topups.suite.js';

useTopupsSuite();

describe('wallet top-ups through Paystack', () => {
  it('happy path: initialize, pay on the checkout page, webhook credits once, callback redirects to /wallet', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 500);
    expect(topup).toMatchObject({
      status: 'initialized',
      amount: { amount: 500, currency: 'USD' },
      charge: { amount: 500, currency: 'USD' },
      exchangeRate: null,
    });
    expect(topup.reference).toMatch(/^nmk-tu-[a-z2-7]{24}$/);
    expect(topup.authorizationUrl).toMatch(/\/checkout\//);
    // Paystack was asked for exactly what the server computed, with our callback URL.
    expect(sandbox.control.transaction(topup.reference)).toMatchObject({
      amount: 500,
      currency: 'USD',
      status: 'abandoned',
    });

    const status = await get(user, `/api/v1/wallet/topups/${topup.reference}`);
    expect(status.json()).toMatchObject({ reference: topup.reference, status: 'initialized' });

    const returnTo = await pressPay(topup.authorizationUrl);
    expect(`${returnTo.origin}${returnTo.pathname}`).toBe(`${PUBLIC_URL}/api/v1/wallet/topups/callback`);
    expect(returnTo.searchParams.get('reference')).toBe(topup.reference);
    await sandbox.control.settled();
    const deliveries = sandbox.control.webhooks().filter((w) => w.reference === topup.reference);
    expect(deliveries.map((d) => d.state)).toEqual(['delivered']);

    expect(await available(user.userId)).toBe(500);
    const back = await app.inject({ method: 'GET', url: `${returnTo.pathname}${returnTo.search}` });
    expect(back.statusCode).toBe(302);
    expect(back.headers.location).toBe(`/wallet?topup=${topup.reference}&status=succeeded`);
    expect(await available(user.userId)).toBe(500);

    const wallet = await get(user, '/api/v1/wallet');
    expect(wallet.json()).toEqual({
      balance: { amount: 500, currency: 'USD' },
      held: { amount: 0, currency: 'USD' },
      includedUsage: { freeVerifications: 0 },
    });
    expect((await get(user, `/api/v1/wallet/topups/${topup.reference}`)).json()).toMatchObject({
      status: 'succeeded',
      authorizationUrl: null,
    });
    const lines = await topupLines(user.userId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      amount: 500,
      balanceAfter: 500,
      metadata: { reference: topup.reference },
    });
  });

  it('an NGN top-up charges kobo at the stored rate and credits the USD amount', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 1000, 'NGN');
    expect(topup).toMatchObject({
      amount: { amount: 1000, currency: 'USD' },
      charge: { amount: 1_600_000, currency: 'NGN' },
      exchangeRate: { ngnPerUsd: 1600 },
    });
    expect(sandbox.control.transaction(topup.reference)).toMatchObject({
      amount: 1_600_000,
      currency: 'NGN',
    });
    const row = await store.findByReference(db, topup.reference);
    expect(row).toMatchObject({
      ngnPerUsd: 1600,
      chargeCurrency: 'NGN',
      chargeAmountMinor: 1_600_000,
      amountUsdCents: 1000,
    });

    sandbox.control.pay(topup.reference);
    await sandbox.control.settled();
    expect(await available(user.userId)).toBe(1000);
  });

  it("records one wallet.topup.succeeded webhook event for the user's endpoint when credited", async () => {
    const account = await app.services.accounts.createUser({
      email: `${randomUUID().slice(0, 12)}@example.test`,
      password: 'a long enough password',
    });
    await app.services.accounts.setUserTier(account!.id, 'payg');
    await app.services.webhooks.createEndpoint({
      userId: account!.id,
      tier: 'payg',
      url: 'http://127.0.0.1:9/hook',
      events: ['wallet.topup.succeeded'],
    });
    const user = testPrincipal({ userId: account!.id, email: account!.email, tier: 'payg' });
    const topup = await initialized(user, 700);
    sandbox.control.pay(topup.reference);
    await sandbox.control.settled();
    // Settling again (callback, reconciler) credits nothing more and emits nothing more.
    await callback(topup.reference);
    await reconciler.settleTopup(topup.reference, 'reconciler');
    expect(await available(user.userId)).toBe(700);
    const { rows } = await testDb.database.sql.query(
      `select e.type, e.data, count(d.id)::int as deliveries from webhook_events e
         left join webhook_deliveries d on d.event_id = e.id
        where e.user_id = $1 group by e.id`,
      [user.userId],
    );
    expect(rows).toEqual([
      {
        type: 'wallet.topup.succeeded',
        data: expect.objectContaining({
          reference: topup.reference,
          status: 'succeeded',
          amount: { amount: 700, currency: 'USD' },
        }),
        deliveries: 1,
      },
    ]);
  });

  it('five webhooks, the callback and the reconciler at once credit exactly once', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 700);
    sandbox.control.pay(topup.reference, { sendWebhook: false });

    const [deliveries, back, reconciled] = await Promise.all([
      sandbox.control.resendWebhook(topup.reference, 5),
      callback(topup.reference),
      reconciler.reconcileTopups(),
    ]);
    expect(deliveries.every((d) => d.state === 'delivered')).toBe(true);
    expect(back.headers.location).toBe(`/wallet?topup=${topup.reference}&status=succeeded`);
    expect(reconciled.error).toBe(0);
    expect(await available(user.userId)).toBe(700);
    expect(await topupLines(user.userId)).toHaveLength(1);

    // And again, one by one, much later: still once.
    await sandbox.control.resendWebhook(topup.reference, 2);
    await callback(topup.reference);
    expect(await reconciler.settleTopup(topup.reference, 'reconciler')).toEqual({
      outcome: 'already_settled',
      status: 'succeeded',
    });
    expect(await available(user.userId)).toBe(700);
    expect((await checkLedgerInvariants(db)).violations).toEqual([]);
  });

  it('a slow verify does not hold the webhook: 200 in time, the credit lands when verify answers', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 650);
    sandbox.control.pay(topup.reference, { sendWebhook: false });
    const quick = createPaymentsService({
      db,
      ledger,
      audit: app.services.audit,
      webhooks: app.services.webhooks,
      paystack: client,
      paystackSecretKey: SECRET,
      publicUrl: PUBLIC_URL,
      ngnPerUsd: 1600,
      logger: silent,
      webhookAnswerWithinMs: 100,
    });
    sandbox.control.failNext({ path: '/transaction/verify', mode: 'hang', hangMs: 800 });
    const body = chargeSuccessBody(topup.reference);
    const started = Date.now();
    expect(await quick.handleWebhook(Buffer.from(body), signWebhookBody(body, SECRET))).toBe(true);
    expect(Date.now() - started).toBeLessThan(700);
    expect(await available(user.userId)).toBe(0);
    await expect.poll(() => available(user.userId), { timeout: 5_000 }).toBe(650);
    expect((await checkLedgerInvariants(db)).violations).toEqual([]);
  });

  it('a forged or missing signature is 401 and credits nothing', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 500);
    sandbox.control.pay(topup.reference, { sendWebhook: false });
    const body = chargeSuccessBody(topup.reference);

    const unsigned = await sandbox.control.sendWebhook(body, { signature: false });
    const forged = await sandbox.control.sendWebhook(body, {
      signature: signWebhookBody(body, 'sk_test_wrong_key'),
    });
    const garbage = await sandbox.control.sendWebhook(body, { signature: 'not-hex' });
    // Signed, then tampered with: the signature covers the exact bytes.
    const tampered = await fetch(`${appUrl}/api/v1/hooks/paystack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-paystack-signature': signWebhookBody(body, SECRET) },
      body: body.replace('"amount":500', '"amount":900'),
    });
    for (const delivery of [unsigned, forged, garbage]) {
      expect(delivery.attempts.map((a) => a.status)).toEqual([401, 401, 401]);
    }
    expect(tampered.status).toBe(401);
    // The same code as the TextVerified hook's bad signature.
    expect(await tampered.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    expect(await available(user.userId)).toBe(0);
    expect((await store.findByReference(db, topup.reference))?.status).toBe('initialized');
  });

  it('the webhook of an instance without a Paystack key is 503 provider_unavailable, like its top-ups', async () => {
    const unconfigured = createPaymentsService({
      db,
      ledger,
      audit: app.services.audit,
      webhooks: app.services.webhooks,
      paystack: undefined,
      paystackSecretKey: undefined,
      publicUrl: PUBLIC_URL,
      ngnPerUsd: 1600,
      logger: silent,
    });
    const body = chargeSuccessBody('nmk-tu-aaaaaaaaaaaaaaaaaaaaaaaa');
    await expect(
      unconfigured.handleWebhook(Buffer.from(body), signWebhookBody(body, SECRET)),
    ).rejects.toMatchObject({ status: 503, code: 'provider_unavailable' });
  });

  it('a validly signed webhook is not believed: verify saying failed or abandoned credits nothing', async () => {
    const user = testPrincipal();
    const declined = await initialized(user, 500);
    const unpaid = await initialized(user, 600);
    sandbox.control.decline(declined.reference);

    for (const reference of [declined.reference, unpaid.reference]) {
      const delivery = await sandbox.control.sendWebhook(chargeSuccessBody(reference));
      expect(delivery.state).toBe('delivered');
    }
    expect(await available(user.userId)).toBe(0);
    expect((await store.findByReference(db, declined.reference))?.status).toBe('failed');
    expect((await store.findByReference(db, unpaid.reference))?.status).toBe('initialized');
    expect((await callback(unpaid.reference)).headers.location).toBe(
      `/wallet?topup=${unpaid.reference}&status=pending`,
    );
    expect((await callback(declined.reference)).headers.location).toBe(
      `/wallet?topup=${declined.reference}&status=failed`,
    );
    // A webhook for a reference we never issued is acknowledged and ignored.
    const stranger = await sandbox.control.sendWebhook(chargeSuccessBody('nmk-tu-zzzzzzzzzzzzzzzzzzzzzzzz'));
    expect(stranger.state).toBe('delivered');
    expect(await available(user.userId)).toBe(0);
  });

  it('a payment of another amount or currency is not credited, is flagged and audited', async () => {
    const user = testPrincipal();
    const short = await initialized(user, 500);
    const otherCurrency = await initialized(user, 500);
    sandbox.control.pay(short.reference, { amountMinor: 400 });
    sandbox.control.pay(otherCurrency.reference, { currency: 'NGN' });
    await sandbox.control.settled();

    expect(await available(user.userId)).toBe(0);
    expect(await store.findByReference(db, short.reference)).toMatchObject({
      status: 'flagged',
      failureReason: 'amount_mismatch',
      paidAmountMinor: 400,
      paidCurrency: 'USD',
      ledgerTransactionId: null,
    });
    expect(await store.findByReference(db, otherCurrency.reference)).toMatchObject({
      status: 'flagged',
      failureReason: 'currency_mismatch',
      paidCurrency: 'NGN',
    });
    const events = await auditFor(short.reference);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'payments.topup_flagged',
      subjectType: 'topup',
      details: {
        userId: user.userId,
        reason: 'amount_mismatch',
        expected: { amount: 500, currency: 'USD' },
        paid: { amount: 400, currency: 'USD' },
      },
    });
    expect(await auditFor(otherCurrency.reference)).toHaveLength(1);
    // Redeliveries, the callback and the reconciler change nothing and record nothing more.
    await sandbox.control.resendWebhook(short.reference, 3);
    expect((await callback(short.reference)).headers.location).toBe(
      `/wallet?topup=${short.reference}&status=review`,
    );
    expect(await available(user.userId)).toBe(0);
    expect(await auditFor(short.reference)).toHaveLength(1);
  });

  it('client-sent metadata or extra fields cannot change the amount', async () => {
    const user = testPrincipal();
    const response = await createTopup(user, {
      amount: 500,
      metadata: { amount: 100_000, amountUsdCents: 100_000 },
      amountUsdCents: 100_000,
      charge: { amount: 1, currency: 'NGN' },
    });
    expect(response.statusCode).toBe(201);
    const topup = response.json<TopupBody>();
    expect(topup.amount).toEqual({ amount: 500, currency: 'USD' });
    expect(sandbox.control.transaction(topup.reference)).toMatchObject({ amount: 500, currency: 'USD' });
    sandbox.control.pay(topup.reference, { sendWebhook: false });
    // A signed event claiming more (and metadata saying so) is only a hint: the row decides.
    const claim = chargeSuccessBody(topup.reference, { amount: 100_000, metadata: { amount: 100_000 } });
    expect((await sandbox.control.sendWebhook(claim)).state).toBe('delivered');
    expect(await available(user.userId)).toBe(500);

    for (const bad of [
      { amount: 99 },
      { amount: 100_001 },
      { amount: 150.5 },
      { amount: '500' },
      { amount: 500, currency: 'EUR' },
    ]) {
      const refused = await createTopup(user, bad);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ error: { code: 'validation_failed' } });
    }
  });
});
