import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testPrincipal } from '../../../test/support/principal.js';
import { Jobs } from '../../platform/jobs.js';
import type { Principal } from '../../platform/http/principal.js';
import { RECONCILE_TOPUPS, definePaymentsJobs } from './jobs.js';
import { createPaymentsService } from './service.js';
import * as store from './store.js';
import {
  useTopupsSuite,
  ledger,
  SECRET,
  PUBLIC_URL,
  testDb,
  db,
  sandbox,
  client,
  app,
  reconciler,
  silent,
  cutProxy,
  restoreProxy,
  createTopup,
  initialized,
  get,
  available,
  callback,
} from './topups.suite.js';

useTopupsSuite();

describe('Paystack outages', () => {
  async function expectNoVisibleTopup(user: Principal, response: Awaited<ReturnType<typeof createTopup>>) {
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: { code: 'provider_unavailable' } });
    expect((await get(user, '/api/v1/wallet/topups')).json()).toEqual({ data: [], nextCursor: null });
  }

  it('initialize with the connection refused: 503, the top-up is failed and hidden; a retry with the key works', async () => {
    const user = testPrincipal();
    const key = { 'idempotency-key': `k-${randomUUID()}` };
    await cutProxy();
    await expectNoVisibleTopup(user, await createTopup(user, { amount: 500 }, key));
    await restoreProxy();
    const retry = await createTopup(user, { amount: 500 }, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect((await get(user, '/api/v1/wallet/topups')).json<{ data: unknown[] }>().data).toHaveLength(1);
  });

  it('initialize answered 500 or 503 (outage): 503 and nothing visible', async () => {
    const user = testPrincipal();
    sandbox.control.failNext({ path: '/transaction/initialize', status: 500 });
    await expectNoVisibleTopup(user, await createTopup(user, { amount: 500 }));
    sandbox.control.setOutage(true);
    await expectNoVisibleTopup(user, await createTopup(user, { amount: 500 }));
  });

  it('initialize timing out (it did happen at Paystack): 503, hidden, and credited only if verify later says paid', async () => {
    const user = testPrincipal();
    sandbox.control.failNext({ path: '/transaction/initialize', mode: 'hang', hangMs: 2500 });
    await expectNoVisibleTopup(user, await createTopup(user, { amount: 800 }));

    const ghost = sandbox.control.transactions().find((t) => t.amount === 800 && t.status === 'abandoned');
    expect(ghost).toBeDefined();
    const reference = String(ghost!.reference);
    expect(await store.findByReference(db, reference)).toMatchObject({
      status: 'initializing',
      authorizationUrl: null,
    });
    expect((await get(user, `/api/v1/wallet/topups/${reference}`)).statusCode).toBe(404);

    // Still unpaid: the reconciler leaves it alone.
    await reconciler.reconcileTopups();
    expect((await store.findByReference(db, reference))?.status).toBe('initializing');
    expect(await available(user.userId)).toBe(0);

    // If it does get paid (the right amount), the reconciler credits it and it becomes visible.
    sandbox.control.pay(reference, { sendWebhook: false });
    const counts = await reconciler.reconcileTopups();
    expect(counts.credited).toBeGreaterThanOrEqual(1);
    expect(await available(user.userId)).toBe(800);
    expect((await get(user, `/api/v1/wallet/topups/${reference}`)).json()).toMatchObject({
      status: 'succeeded',
    });
  });

  it('verify unavailable during the webhook and the callback: stays pending, the reconciler completes it', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 900);
    sandbox.control.setOutage(true);
    sandbox.control.pay(topup.reference);
    await sandbox.control.settled();
    expect(sandbox.control.webhooks().find((w) => w.reference === topup.reference)?.state).toBe('delivered');
    expect((await callback(topup.reference)).headers.location).toBe(
      `/wallet?topup=${topup.reference}&status=pending`,
    );
    await cutProxy();
    expect((await callback(topup.reference)).headers.location).toBe(
      `/wallet?topup=${topup.reference}&status=pending`,
    );
    expect(await reconciler.settleTopup(topup.reference, 'reconciler')).toMatchObject({ outcome: 'pending' });
    expect((await store.findByReference(db, topup.reference))?.status).toBe('initialized');
    expect(await available(user.userId)).toBe(0);

    await restoreProxy();
    sandbox.control.setOutage(false);
    const counts = await reconciler.reconcileTopups();
    expect(counts.credited).toBeGreaterThanOrEqual(1);
    expect(await available(user.userId)).toBe(900);
  });
});

describe('the reconciler job', () => {
  it('runs every minute; credits paid, fails declined, abandons old unpaid top-ups', async () => {
    const jobs = new Jobs(testDb.database.sql, silent);
    const service = createPaymentsService({
      db,
      ledger,
      audit: app.services.audit,
      webhooks: app.services.webhooks,
      paystack: client,
      paystackSecretKey: SECRET,
      publicUrl: PUBLIC_URL,
      ngnPerUsd: 1600,
      logger: silent,
      staleAfterMs: 0,
      abandonAfterMs: 0,
    });
    definePaymentsJobs(jobs, { logger: silent, payments: service });

    const user = testPrincipal();
    const paid = await initialized(user, 300);
    const declined = await initialized(user, 400);
    const unpaid = await initialized(user, 500);
    sandbox.control.pay(paid.reference, { sendWebhook: false });
    sandbox.control.decline(declined.reference);

    await jobs.runNow(RECONCILE_TOPUPS);
    expect((await store.findByReference(db, paid.reference))?.status).toBe('succeeded');
    expect((await store.findByReference(db, declined.reference))?.status).toBe('failed');
    expect(await store.findByReference(db, unpaid.reference)).toMatchObject({
      status: 'abandoned',
      failureReason: 'not_paid_in_time',
    });
    expect(await available(user.userId)).toBe(300);

    // Paid after all, after being marked abandoned (the customer came back): a webhook still credits it, once.
    sandbox.control.pay(unpaid.reference);
    await sandbox.control.settled();
    expect(await available(user.userId)).toBe(800);
    expect((await store.findByReference(db, unpaid.reference))?.status).toBe('succeeded');
  });

  it('the default job uses the one-minute threshold: a fresh top-up is left alone', async () => {
    const jobs = new Jobs(testDb.database.sql, silent);
    definePaymentsJobs(jobs, { logger: silent, payments: app.services.payments });
    const user = testPrincipal();
    const topup = await initialized(user, 300);
    sandbox.control.pay(topup.reference, { sendWebhook: false });
    await jobs.runNow(RECONCILE_TOPUPS);
    expect((await store.findByReference(db, topup.reference))?.status).toBe('initialized');
  });
});
