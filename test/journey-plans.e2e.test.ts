import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkLedgerInvariants } from '../src/modules/ledger/index.js';
import { RENEW_SUBSCRIPTIONS } from '../src/modules/subscriptions/index.js';
import { type EmbeddedApp, startEmbeddedApp } from './support/embedded.js';
import { type JourneyClient, eventsReceived, journeyClient } from './support/journey.js';
import { type WebhookReceiver, startWebhookReceiver } from './support/webhooks.js';

/**
 * SPEC §1 journey 3 through the public HTTP API of the embedded default. Months pass: the process
 * clock (`Date`, which the app, its job queue and the sandboxes read) is moved forward, and the
 * renewal job is run as its five-minute schedule would run it. Its own file and server, so no other
 * journey ever sees the moved clock.
 */
let embedded: EmbeddedApp;
let receiver: WebhookReceiver;
let you: JourneyClient;

const EMAIL = 'journey-three@example.test';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  embedded = await startEmbeddedApp({
    SANDBOX_SMS_DELAY_MS: '2000',
    TRUST_PROXY: '127.0.0.1',
    ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
  });
  you = journeyClient(embedded, '203.0.113.3');
  // Generous: the first start migrates a fresh PGlite, slow on a busy machine.
}, 240_000);

afterAll(async () => {
  vi.useRealTimers();
  await embedded?.close();
  await receiver?.close();
});

/** Moves the clock to `at`, lets the renewal job run, and signs in again (a month-old access token has expired). */
async function renewalRunsAt(at: number): Promise<string> {
  vi.setSystemTime(at);
  await embedded.runtime.jobs.runNow(RENEW_SUBSCRIPTIONS);
  return you.logIn(EMAIL);
}

describe('journey 3 on the embedded default', () => {
  it('3: upgrade to Pro from the wallet → Pro-only options unlock → renewal charges monthly → a failed renewal downgrades after grace', async () => {
    const { api, balance } = you;
    let token = await you.signUpAndLogIn(EMAIL);
    await you.topUp(token, 6000);

    // Freemium: the Pro-only options are refused by the server.
    const proOrder = { service: 'whatsapp', country: 'US', areaCodes: ['415'], carrier: 'vz' };
    const gated = await api('POST', '/api/v1/verifications', token, proOrder);
    expect([gated.status, gated.body.error.code]).toEqual([403, 'tier_required']);
    const keyInput = { name: 'ci', scopes: ['account:read'] };
    const noKey = await api('POST', '/api/v1/api-keys', token, keyInput);
    expect([noKey.status, noKey.body.error.code]).toEqual([403, 'tier_required']);

    // The price is the server's (the public tier list); the upgrade is paid from the wallet, once.
    const pro = (await api('GET', '/api/v1/tiers')).body.data.find((t: { name: string }) => t.name === 'pro');
    expect(pro).toMatchObject({
      monthlyPrice: { amount: 2500, currency: 'USD' },
      includedUsage: { amount: 1500, currency: 'USD' },
      gates: { areaCode: { allowed: true }, carrier: { allowed: true }, webhooks: true },
    });
    const upgrade = () =>
      api('POST', '/api/v1/subscription', token, { tier: 'pro' }, { 'idempotency-key': 'journey-three' });
    const upgraded = await upgrade();
    expect(upgraded.status).toBe(200);
    expect(upgraded.body).toMatchObject({
      tier: 'pro',
      status: 'active',
      includedUsage: { remaining: { amount: 1500 } },
    });
    expect((await upgrade()).headers.get('idempotent-replayed')).toBe('true');
    expect(await balance(token)).toBe(3500);

    // Pro-only options unlock. The sign-up credit pays the first order, the included usage the next.
    const quote = await api(
      'GET',
      '/api/v1/catalog/quote?service=whatsapp&country=US&areaCode=415&carrier=vz',
      token,
    );
    expect(quote.status).toBe(200);
    const proPrice = quote.body.price.amount as number;
    const first = await api('POST', '/api/v1/verifications', token, proOrder);
    expect([first.status, first.body.price.currency]).toEqual([201, 'CREDIT']);
    expect(first.body.options).toEqual({ areaCodes: ['415'], carrier: 'vz' });
    const second = await api('POST', '/api/v1/verifications', token, { ...proOrder, maxPrice: proPrice });
    expect([second.status, second.body.price]).toEqual([201, { amount: proPrice, currency: 'INCLUDED' }]);
    expect(await balance(token)).toBe(3500);
    const plan = (await api('GET', '/api/v1/subscription', token)).body;
    expect(plan.includedUsage.remaining.amount).toBe(1500 - proPrice);
    expect((await api('POST', '/api/v1/api-keys', token, keyInput)).status).toBe(201);
    const endpoint = await api('POST', '/api/v1/webhook-endpoints', token, {
      url: `${receiver.base}/journey-three`,
      events: ['subscription.renewed', 'subscription.past_due', 'subscription.downgraded'],
    });
    expect(endpoint.status).toBe(201);
    const planEvent = async (type: string) => {
      await expect
        .poll(
          () =>
            eventsReceived(receiver, '/journey-three', endpoint.body.secret).some(
              (e) => e.event.type === type,
            ),
          {
            timeout: 150_000,
            interval: 500,
          },
        )
        .toBe(true);
      const received = eventsReceived(receiver, '/journey-three', endpoint.body.secret).find(
        (e) => e.event.type === type,
      )!;
      expect(received.signed).toBe(true);
      return received.event.data;
    };

    // Both codes arrive (SMS after 2 s) before the clock moves: an SMS dated a month later would
    // fall outside its window, the order would expire and give its included usage back to the
    // new period.
    for (const order of [first, second]) {
      await expect
        .poll(async () => (await api('GET', `/api/v1/verifications/${order.body.id}`, token)).body.status, {
          timeout: 30_000,
          interval: 250,
        })
        .toBe('completed');
    }

    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    // A month later the renewal charges the wallet and the included usage starts again.
    token = await renewalRunsAt(new Date(plan.currentPeriodEnd).getTime() + MINUTE);
    const renewed = (await api('GET', '/api/v1/subscription', token)).body;
    expect(renewed).toMatchObject({
      tier: 'pro',
      status: 'active',
      currentPeriodStart: plan.currentPeriodEnd,
    });
    const secondEnd = new Date(renewed.currentPeriodEnd).getTime();
    expect(secondEnd - new Date(plan.currentPeriodEnd).getTime()).toBeGreaterThanOrEqual(28 * DAY);
    expect(renewed.includedUsage.remaining.amount).toBe(1500);
    expect(await balance(token)).toBe(1000);
    const statement = (await api('GET', '/api/v1/wallet/statement?limit=100', token)).body.data as {
      type: string;
    }[];
    expect(statement.filter((line) => line.type === 'subscription')).toHaveLength(2);
    expect(await planEvent('subscription.renewed')).toMatchObject({
      tier: 'pro',
      amount: { amount: 2500, currency: 'USD' },
    });

    // The next month the wallet holds $10 of the $25: past due, 3 days of grace, an e-mail.
    token = await renewalRunsAt(secondEnd + MINUTE);
    const pastDue = (await api('GET', '/api/v1/subscription', token)).body;
    expect(pastDue).toMatchObject({ tier: 'pro', status: 'past_due' });
    expect(new Date(pastDue.graceEndsAt).getTime()).toBe(secondEnd + 3 * DAY);
    expect(await balance(token)).toBe(1000);
    const smtp = embedded.runtime.sandboxes!.smtp;
    await smtp.waitForMessage((m) => m.to.includes(EMAIL) && /could not be renewed/.test(m.subject), 60_000);
    expect(await planEvent('subscription.past_due')).toMatchObject({ graceEndsAt: pastDue.graceEndsAt });

    // Grace over, still unpaid: downgraded to payg, where area codes cost a surcharge again.
    token = await renewalRunsAt(secondEnd + 3 * DAY + MINUTE);
    expect((await api('GET', '/api/v1/subscription', token)).body).toMatchObject({
      tier: 'payg',
      status: 'none',
    });
    expect((await api('GET', '/api/v1/me', token)).body.tier).toBe('payg');
    await smtp.waitForMessage((m) => m.to.includes(EMAIL) && /plan has changed/.test(m.subject), 60_000);
    expect(await planEvent('subscription.downgraded')).toEqual({
      fromTier: 'pro',
      toTier: 'payg',
      reason: 'grace_expired',
    });
    const paygQuote = await api(
      'GET',
      '/api/v1/catalog/quote?service=whatsapp&country=US&areaCode=415&carrier=vz',
      token,
    );
    expect(paygQuote.body.price.amount).toBeGreaterThan(proPrice);
    expect(await balance(token)).toBe(1000);
    expect((await checkLedgerInvariants(embedded.runtime.database.db)).violations).toEqual([]);
  }, 600_000);
});
