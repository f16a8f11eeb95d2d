import { describe, expect, it } from 'vitest';
import { fundWallet } from '../../../test/support/wallet.js';
import type { SubscriptionEvent } from './events.js';
import { INCLUDED_USAGE_CURRENCY } from '../ledger/index.js';
import {
  testDb,
  app,
  balanceOf,
  catcher,
  chargesOf,
  db,
  expectLedgerClean,
  idOf,
  serviceAt,
  signedUpUser,
  subscribe,
  subscriptionOf,
  useSubscriptionsSuite,
} from './subscriptions.suite.js';

useSubscriptionsSuite();

describe('renewal', () => {
  it("records a subscription.renewed webhook event for the user's endpoint (the app's services)", async () => {
    const user = await signedUpUser({ cents: 10_000 });
    expect((await subscribe(user, { tier: 'pro' })).statusCode).toBe(200);
    await app.services.webhooks.createEndpoint({
      userId: user.id,
      tier: 'pro',
      url: 'http://127.0.0.1:9/hook',
      events: ['subscription.renewed'],
    });
    // The period has ended: the plan is due at the real clock (whole seconds, as JS dates keep ms).
    await testDb.database.sql.query(
      `update subscriptions set current_period_start = date_trunc('second', now()) - interval '31 days',
         current_period_end = date_trunc('second', now()) - interval '1 second' where user_id = $1`,
      [user.id],
    );
    expect(await app.services.subscriptions.renewOne(await idOf(user.id))).toBe('renewed');
    const { rows } = await testDb.database.sql.query(
      `select e.type, e.data, count(d.id)::int as deliveries from webhook_events e
         left join webhook_deliveries d on d.event_id = e.id
        where e.user_id = $1 group by e.id`,
      [user.id],
    );
    expect(rows).toEqual([
      {
        type: 'subscription.renewed',
        data: expect.objectContaining({ tier: 'pro', amount: { amount: 2500, currency: 'USD' } }),
        deliveries: 1,
      },
    ]);
  });
  it('charges each period once with two workers racing, and resets the included usage', async () => {
    const start = new Date('2030-01-31T10:00:00.000Z');
    const clock = { now: start };
    const [a, b] = [serviceAt(clock), serviceAt(clock)];
    const user = await signedUpUser({ cents: 10_000 });
    await a.changeTier(user.id, 'pro');
    expect(await chargesOf(user.id)).toEqual([2500]);
    // Part of the included usage is spent, as a purchase would.
    const spent = await db().transaction((tx) =>
      app.services.ledger.holdIncludedUsage(tx, {
        ownerId: user.id,
        amount: 1000,
        reference: `test-usage-${user.id}`,
        memo: 'usage',
      }),
    );
    await db().transaction((tx) => app.services.ledger.capture(tx, spent!.hold.id));
    expect(await balanceOf(user.id, INCLUDED_USAGE_CURRENCY)).toBe(500);

    // Before the end of the period: nothing to do.
    clock.now = new Date('2030-02-28T09:59:59.000Z');
    expect(await a.renewOne(await idOf(user.id))).toBe('none');

    clock.now = new Date('2030-02-28T10:00:00.000Z');
    // Plans of the other tests are due too at this clock: assertions are about this user.
    const runs = await Promise.all([a.renewDue(), b.renewDue(), a.renewDue(), b.renewDue()]);
    // The losers of the race find nothing to do; none of them fails.
    expect(runs.map((counts) => counts.failed)).toEqual([0, 0, 0, 0]);
    expect(await chargesOf(user.id)).toEqual([2500, 2500]);
    expect(await balanceOf(user.id)).toBe(5000);
    expect(await balanceOf(user.id, INCLUDED_USAGE_CURRENCY)).toBe(1500);
    const plan = await a.subscriptionOf(user.id);
    // Jan 31 → Feb 28 → Mar 31: the anchor's day, clamped to short months.
    expect(plan).toMatchObject({
      status: 'active',
      currentPeriodStart: '2030-02-28T10:00:00.000Z',
      currentPeriodEnd: '2030-03-31T10:00:00.000Z',
    });

    clock.now = new Date('2030-03-31T10:00:00.000Z');
    await Promise.all([a.renewDue(), b.renewDue()]);
    expect(await chargesOf(user.id)).toEqual([2500, 2500, 2500]);
    await expectLedgerClean();
  });

  it('insufficient funds → past_due with 3 days of grace and an e-mail → downgraded to payg after grace', async () => {
    const start = new Date('2031-05-10T12:00:00.000Z');
    const clock = { now: start };
    const events: SubscriptionEvent[] = [];
    const [a, b] = [serviceAt(clock, events), serviceAt(clock, events)];
    const typesFor = (userId: string) => events.filter((e) => e.userId === userId).map((e) => e.type);
    const user = await signedUpUser({ cents: 2600 });
    await a.changeTier(user.id, 'pro');
    expect(await balanceOf(user.id)).toBe(100);

    clock.now = new Date('2031-06-10T12:00:00.000Z');
    await Promise.all([a.renewDue(), b.renewDue()]);
    const pastDue = await a.subscriptionOf(user.id);
    expect(pastDue).toMatchObject({
      tier: 'pro',
      status: 'past_due',
      graceEndsAt: '2031-06-13T12:00:00.000Z',
    });
    const notice = await catcher.waitForMessage(
      (m) => m.to.includes(user.email) && /could not be renewed/.test(m.subject),
    );
    expect(notice.text).toContain('$25.00');
    expect(typesFor(user.id)).toEqual(['subscription.past_due']);

    // Still in grace: retried, still unpaid, still pro (the gates stay open).
    clock.now = new Date('2031-06-13T11:59:59.000Z');
    await a.renewDue();
    expect((await subscriptionOf(user)).tier).toBe('pro');

    clock.now = new Date('2031-06-13T12:00:00.000Z');
    await Promise.all([a.renewDue(), b.renewDue()]);
    expect(await subscriptionOf(user)).toMatchObject({
      tier: 'payg',
      status: 'none',
      includedUsage: { remaining: { amount: 0 } },
    });
    expect(await chargesOf(user.id)).toEqual([2500]);
    expect(await balanceOf(user.id)).toBe(100);
    expect(typesFor(user.id)).toEqual(['subscription.past_due', 'subscription.downgraded']);
    expect(events.filter((e) => e.userId === user.id)[1]).toMatchObject({
      data: { fromTier: 'pro', toTier: 'payg', reason: 'grace_expired' },
    });
    await catcher.waitForMessage((m) => m.to.includes(user.email) && /plan has changed/.test(m.subject));
    // The gates follow at once: payg's key limit is 2.
    await expectLedgerClean();
  });

  it('a past-due plan paid within grace renews from the end of the unpaid period', async () => {
    const clock = { now: new Date('2032-01-15T00:00:00.000Z') };
    const service = serviceAt(clock);
    const user = await signedUpUser({ cents: 2500 });
    await service.changeTier(user.id, 'pro');
    clock.now = new Date('2032-02-15T00:00:00.000Z');
    await service.renewDue();
    expect((await service.subscriptionOf(user.id)).status).toBe('past_due');
    await fundWallet(db(), user.id, 2500);
    clock.now = new Date('2032-02-16T00:00:00.000Z');
    await service.renewDue();
    expect(await service.subscriptionOf(user.id)).toMatchObject({
      status: 'active',
      graceEndsAt: null,
      currentPeriodStart: '2032-02-15T00:00:00.000Z',
      currentPeriodEnd: '2032-03-15T00:00:00.000Z',
    });
    expect(await chargesOf(user.id)).toEqual([2500, 2500]);
    await expectLedgerClean();
  });

  it('cancel at period end: no charge, downgraded to payg when the period ends', async () => {
    const clock = { now: new Date('2033-03-01T08:00:00.000Z') };
    const events: SubscriptionEvent[] = [];
    const service = serviceAt(clock, events);
    const user = await signedUpUser({ cents: 10_000 });
    expect((await subscribe(user, { tier: 'pro' })).statusCode).toBe(200);
    // The route's own service runs on the real clock; the period is read back from it.
    const canceled = await app.inject({
      method: 'DELETE',
      url: '/api/v1/subscription',
      headers: user.headers,
    });
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json()).toMatchObject({ tier: 'pro', status: 'active', cancelAtPeriodEnd: true });
    const periodEnd = new Date(canceled.json<{ currentPeriodEnd: string }>().currentPeriodEnd);

    clock.now = new Date(periodEnd.getTime() - 1);
    await service.renewDue();
    expect((await subscriptionOf(user)).tier).toBe('pro');

    clock.now = periodEnd;
    await service.renewDue();
    expect(await subscriptionOf(user)).toMatchObject({ tier: 'payg', status: 'none' });
    expect(await chargesOf(user.id)).toEqual([2500]);
    expect(events.filter((e) => e.userId === user.id)).toEqual([
      {
        type: 'subscription.downgraded',
        userId: user.id,
        data: { fromTier: 'pro', toTier: 'payg', reason: 'canceled' },
      },
    ]);
    // Nothing to cancel any more.
    const again = await app.inject({ method: 'DELETE', url: '/api/v1/subscription', headers: user.headers });
    expect(again.statusCode).toBe(404);
    await expectLedgerClean();
  });

  it('a cheaper paid plan takes effect at renewal, at its own price', async () => {
    const clock = { now: new Date('2034-07-01T00:00:00.000Z') };
    const service = serviceAt(clock);
    const user = await signedUpUser({ cents: 10_000 });
    await service.changeTier(user.id, 'custom');
    const scheduled = await service.changeTier(user.id, 'pro');
    expect(scheduled).toMatchObject({ tier: 'custom', scheduledTier: 'pro' });
    expect(await chargesOf(user.id)).toEqual([3500]);
    clock.now = new Date('2034-08-01T00:00:00.000Z');
    await service.renewDue();
    expect(await service.subscriptionOf(user.id)).toMatchObject({ tier: 'pro', scheduledTier: null });
    expect(await chargesOf(user.id)).toEqual([3500, 2500]);
    expect(await balanceOf(user.id, INCLUDED_USAGE_CURRENCY)).toBe(1500);
    await expectLedgerClean();
  });
});
