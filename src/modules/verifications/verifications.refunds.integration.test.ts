import { eventually } from '../../../test/support/eventually.js';
import { describe, expect, it } from 'vitest';
import { asPrincipal } from '../../../test/support/principal.js';
import type { VerificationView } from './views.js';
import {
  useVerificationsSuite,
  sandbox,
  app,
  verificationService,
  hookUrl,
  fundedUser,
  bought,
  read,
  providerIdOf,
  wallet,
  signedSmsWebhook,
  postWebhook,
  expiryDeferrals,
  expectLedgerOk,
} from './verifications.suite.js';

useVerificationsSuite();

describe('refunds', () => {
  it('no SMS → expired and released by the sweep', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });
    const early = await verificationService.sweepExpired();
    expect((await read(user, view.id)).status).toBe('active');
    expect(early.expired).toBe(0);
    await verificationService.sweepExpired({ now: new Date(Date.now() + 16 * 60_000) });
    const after = await read(user, view.id);
    expect(after.status).toBe('expired');
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    // A late SMS is shown and stays free.
    const providerId = await providerIdOf(view.id);
    sandbox.control.deliverSms(providerId, { code: '777888' });
    await verificationService.pollVerification({ provider: 'textverified', providerId });
    const late = await read(user, view.id);
    expect(late.status).toBe('expired');
    expect(late.messages).toHaveLength(1);
    expect(late.messages![0]!.afterExpiry).toBe(true);
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    await expectLedgerOk();
  });

  it('cancel before any SMS → refunded at once, provider told', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<VerificationView>().status).toBe('canceled');
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    expect(sandbox.control.verification(await providerIdOf(view.id))!.state).toBe('verificationCanceled');
    // Asking again changes nothing.
    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(again.statusCode).toBe(200);
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    await expectLedgerOk();
  });

  it('an SMS the provider holds but we have not taken in yet ends free cancel: the cancel looks first', async () => {
    // The webhook is lost (and no poll is due): only the provider knows the SMS came.
    sandbox.control.setWebhook(null);
    try {
      const user = await fundedUser(500);
      const view = await bought(user);
      sandbox.control.deliverSms(await providerIdOf(view.id), { code: '246810' });
      const cancel = await app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${view.id}/cancel`,
        headers: asPrincipal(user),
      });
      expect(cancel.statusCode, cancel.body).toBe(409);
      expect(cancel.json<{ error: { code: string } }>().error.code).toBe('already_completed');
      expect(await read(user, view.id)).toMatchObject({ status: 'completed', code: '246810' });
      expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });
      // Report after it: the number is reported, nothing refunded.
      const report = await app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${view.id}/report`,
        headers: asPrincipal(user),
      });
      expect(report.json<VerificationView>()).toMatchObject({ status: 'completed', code: '246810' });
      expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });

      // A provider whose SMS list cannot be read does not hold the refund up.
      const other = await bought(user);
      sandbox.control.injectFault({ path: 'sms', method: 'GET', mode: 'error', count: 100 });
      const refunded = await app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${other.id}/cancel`,
        headers: asPrincipal(user),
      });
      expect(refunded.statusCode, refunded.body).toBe(200);
      expect(refunded.json<VerificationView>().status).toBe('canceled');
      expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });
      await expectLedgerOk();
    } finally {
      sandbox.control.setWebhook(hookUrl);
    }
  });

  it('report before a code → canceled and refunded', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/report`,
      headers: asPrincipal(user),
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<VerificationView>()).toMatchObject({ status: 'canceled', failureCode: 'reported' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
  });

  it('an SMS without a code ends free cancel: captured, text shown, cancel refused, report refunds nothing', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const providerId = await providerIdOf(view.id);
    sandbox.control.deliverSms(providerId, { text: 'Welcome to WhatsApp! Your account is ready.' });
    await verificationService.pollVerification({ provider: 'textverified', providerId });
    const captured = await read(user, view.id);
    expect(captured).toMatchObject({ status: 'completed', code: null });
    expect(captured.messages!.map((m) => m.text)).toEqual(['Welcome to WhatsApp! Your account is ready.']);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });

    const cancel = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(cancel.statusCode, cancel.body).toBe(409);
    expect(cancel.json<{ error: { code: string } }>().error.code).toBe('already_completed');
    // Report stays available (the provider hears of the bad number) but refunds nothing after an SMS.
    const report = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/report`,
      headers: asPrincipal(user),
    });
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json<VerificationView>()).toMatchObject({ status: 'completed', failureCode: 'reported' });
    expect(sandbox.control.verification(providerId)!.state).toBe('verificationReported');
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });

    // A later SMS with a code is kept and fills in the code; nothing more is charged.
    sandbox.control.deliverSms(providerId, { text: 'Your WhatsApp code is 314-159', code: '314159' });
    await verificationService.pollVerification({ provider: 'textverified', providerId });
    const later = await read(user, view.id);
    expect(later).toMatchObject({ status: 'completed', code: '314159' });
    expect(later.messages).toHaveLength(2);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });
    await expectLedgerOk();
  });

  it("only messages addressed to the order's number count (webhook and poller)", async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const providerId = await providerIdOf(view.id);
    const own = sandbox.control.verification(providerId)!.number;
    const stranger = own === '2025550123' ? '2025550124' : '2025550123';
    // The provider hands us, under this reservation, an SMS sent to another number.
    const foreign = sandbox.control.deliverSms(providerId, { to: stranger, code: '999000' });
    await eventually(async () =>
      sandbox.control.webhooks().some((w) => w.delivered && w.body.includes(foreign.createdAt.toISOString()))
        ? true
        : undefined,
    );
    await verificationService.pollVerification({ provider: 'textverified', providerId });
    const untouched = await read(user, view.id);
    expect(untouched).toMatchObject({ status: 'active', code: null });
    expect(untouched.messages).toEqual([]);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });

    sandbox.control.deliverSms(providerId, { code: '123123' });
    await verificationService.pollVerification({ provider: 'textverified', providerId });
    const done = await read(user, view.id);
    expect(done).toMatchObject({ status: 'completed', code: '123123' });
    expect(done.messages).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });
    await expectLedgerOk();
  });

  it('a failed last look at the provider defers the expiry; an SMS taken in later still completes', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const providerId = await providerIdOf(view.id);
    // The SMS arrives in the window but its webhook is lost, and the provider's SMS list then fails.
    sandbox.control.setWebhook(null);
    try {
      sandbox.control.deliverSms(providerId, { code: '271828' });
    } finally {
      sandbox.control.setWebhook(hookUrl);
    }
    sandbox.control.injectFault({ path: '/api/pub/v2/sms', method: 'GET', mode: 'error', count: 100 });
    const later = new Date(Date.now() + 16 * 60_000);
    const deferredBefore = await expiryDeferrals('deferred');
    await verificationService.sweepExpired({ now: later });
    expect(await read(user, view.id)).toMatchObject({ status: 'active' });
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });
    expect(await expiryDeferrals('deferred')).toBeGreaterThan(deferredBefore);

    // Next sweep, the provider answers: the code that came in the window completes the order.
    sandbox.control.clearFaults();
    await verificationService.sweepExpired({ now: later });
    expect(await read(user, view.id)).toMatchObject({ status: 'completed', code: '271828' });
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });
    await expectLedgerOk();
  });

  it('a provider that stays unreadable past the bound: the order expires anyway, counted', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    sandbox.control.injectFault({ path: '/api/pub/v2/sms', method: 'GET', mode: 'error', count: 100 });
    const endsAt = new Date(view.expiresAt!);
    const uncheckedBefore = await expiryDeferrals('expired_unchecked');
    await verificationService.sweepExpired({
      now: new Date(endsAt.getTime() + 60 * 60_000),
      maxDeferMs: 2 * 3_600_000,
    });
    expect(await read(user, view.id)).toMatchObject({ status: 'active' });
    await verificationService.sweepExpired({
      now: new Date(endsAt.getTime() + 3 * 3_600_000),
      maxDeferMs: 2 * 3_600_000,
    });
    expect(await read(user, view.id)).toMatchObject({ status: 'expired', failureCode: 'no_sms' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    expect(await expiryDeferrals('expired_unchecked')).toBeGreaterThan(uncheckedBefore);
    await expectLedgerOk();
  });

  it('cancel racing an arriving SMS (100 runs): completed-and-charged or canceled-and-refunded, never both or neither', async () => {
    const outcomes = { completed: 0, canceled: 0 };
    for (let run = 0; run < 100; run++) {
      const user = await fundedUser(143);
      const view = await bought(user);
      const providerId = await providerIdOf(view.id);
      const sms = sandbox.control.deliverSms(providerId); // also fires the sandbox's own webhook
      const { body, signature } = signedSmsWebhook(sms);
      const delay = () => new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4)));
      const [hook, cancel] = await Promise.all([
        delay().then(() => postWebhook(body, signature)),
        delay().then(() =>
          app.inject({
            method: 'POST',
            url: `/api/v1/verifications/${view.id}/cancel`,
            headers: asPrincipal(user),
          }),
        ),
      ]);
      expect(hook.statusCode).toBe(200);
      expect([200, 409]).toContain(cancel.statusCode);
      await verificationService.pollVerification({ provider: 'textverified', providerId });
      const final = await read(user, view.id);
      const money = await wallet(user.userId);
      expect(money.held).toBe(0);
      if (final.status === 'completed') {
        expect(cancel.statusCode).toBe(409);
        expect(money.balance).toBe(0);
        outcomes.completed++;
      } else {
        expect(final.status).toBe('canceled');
        expect(cancel.statusCode).toBe(200);
        expect(money.balance).toBe(143);
        expect(final.messages!.every((m) => m.afterExpiry)).toBe(true);
        outcomes.canceled++;
      }
    }
    expect(outcomes.completed + outcomes.canceled).toBe(100);
    await expectLedgerOk();
    console.info('cancel/SMS race outcomes', outcomes);
  }, 120_000);
});
