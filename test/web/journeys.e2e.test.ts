import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedgerInvariants } from '../../src/modules/ledger/index.js';
import type { Runtime } from '../../src/runtime.js';
import { insertKnownOrders } from '../support/delivery-orders.js';
import { type EmbeddedApp, startEmbeddedApp } from '../support/embedded.js';
import { startWebhookReceiver } from '../support/webhooks.js';
import {
  type Findings,
  audit,
  horizontalOverflow,
  launchBrowser,
  personContext,
  screenshot,
  screenshotBoth,
} from './browser.js';
import { journeySteps } from './steps.js';

/**
 * SPEC §1 journeys in Chromium against the embedded default (PGlite, the TextVerified, Paystack and
 * SMTP sandboxes in-process), asserting what the person sees. Every page visited is checked for CSP
 * violations and by axe-core.
 */
let runtime: Runtime;
let base: string;
let embedded: EmbeddedApp;
let browser: Browser;
const findings: Findings = { csp: [], axe: [], pageErrors: [] };

beforeAll(async () => {
  embedded = await startEmbeddedApp({
    SANDBOX_SMS_DELAY_MS: '2500',
    // Journey 4's webhook receiver listens on loopback.
    ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
    // Each browser context is a person at an address of its own, named by this trusted proxy.
    TRUST_PROXY: '127.0.0.1',
  });
  ({ runtime, base } = embedded);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await embedded?.close();
});

const { url, visited, waitForText, register, confirmByMail, login, signUp, topUp, buy } = journeySteps({
  runtime: () => runtime,
  base: () => base,
  findings,
});

/**
 * The text of `selector` once it starts with `prefix` and differs from `old`: after a rotation the
 * old secret stays on the page until the answer replaces it.
 */
async function waitForReplaced(page: Page, selector: string, prefix: string, old: string): Promise<string> {
  await page.waitForFunction(
    ([sel, pre, prev]) => {
      const shown = document.querySelector(sel)?.textContent?.trim() ?? '';
      return shown.startsWith(pre) && shown !== prev;
    },
    [selector, prefix, old.trim()] as const,
  );
  return String(await page.textContent(selector)).trim();
}

const balanceShown = (page: Page) => page.textContent('.sidebar-balance strong');

describe('web app journeys in Chromium', () => {
  it('the predecessor smoke test: register → login → dashboard → verify → number → history', async () => {
    const context = await personContext(browser, findings);
    const page = await context.newPage();
    await register(page, 'smoke@example.test');
    // Money routes need a confirmed address: the person opens the link in the e-mail.
    await confirmByMail(page, 'smoke@example.test');
    await login(page, 'smoke@example.test');

    await page.click("a[href='/verify']");
    await page.waitForSelector('#service-select option[value="whatsapp"]', { state: 'attached' });
    await page.selectOption('#service-select', 'whatsapp');
    await page.click('#purchase-btn');
    await waitForText(page, '#phone-number', /^\+1/, 10_000);
    await visited(page);
    await page.click("a[href='/history']");
    await page.waitForSelector('.history-table tbody tr');
    expect(await page.locator('.history-table tbody tr').count()).toBeGreaterThan(0);
    await visited(page);
    await context.close();
  }, 300_000);

  it('1: register → confirm → log in → top up at Paystack → buy WhatsApp → code live → history and statement', async () => {
    const context = await personContext(browser, findings);
    const page = await context.newPage();
    await page.goto(url('/'));
    await visited(page);
    await screenshotBoth(page, 'landing');
    await page.goto(url('/pricing'));
    await visited(page);

    await signUp(page, 'journey-one@example.test');
    await screenshotBoth(page, 'dashboard');
    await topUp(page, 1000);
    // The balance is fetched on its own; until it arrives it shows '…'.
    await waitForText(page, '#wallet-balance', /^\$10\.00$/);

    // The sign-up credit pays for the first number; the second is paid from the wallet.
    // Before it, others' finished orders (the minimum sample of 20: 18 codes in 30 s, 2 expired)
    // give telegram delivery figures, shown with its price (telegram: no journey buys it, so the
    // figures are exactly these orders).
    const finished = {
      service: 'telegram',
      country: 'US',
      provider: 'textverified',
      agoMs: 3_600_000,
    } as const;
    await insertKnownOrders(runtime.database.db, new Date(), [
      ...Array.from({ length: 18 }, () => ({ ...finished, status: 'completed' as const, secondsToCode: 30 })),
      ...Array.from({ length: 2 }, () => ({ ...finished, status: 'expired' as const })),
    ]);
    runtime.services.deliveryStats.invalidate();
    await page.goto(url('/verify'));
    await page.waitForSelector('#service-select option[value="whatsapp"]', { state: 'attached' });
    await page.selectOption('#service-select', 'telegram');
    expect(await waitForText(page, '#delivery-figures', /delivered/)).toBe(
      '90% delivered · median 30 s (7 days, 20 orders) · 90% delivered · median 30 s (24 h, 20 orders)',
    );
    await visited(page);
    await buy(page, 'whatsapp');
    const freeCode = await waitForText(page, '#verification-code', /^[0-9A-Z]{4,8}$/, 15_000);
    expect(freeCode).toMatch(/^[0-9A-Z]{4,8}$/);
    await page.click('text=Buy another number');
    const number = await buy(page, 'whatsapp');
    expect(number).toMatch(/^\+1\d{10}$/);
    const code = await waitForText(page, '#verification-code', /^[0-9A-Z]{4,8}$/, 15_000);
    await waitForText(page, '.verification .badge', /completed/);
    await visited(page);
    await screenshotBoth(page, 'verify');

    await page.click("a[href='/history']");
    await page.waitForSelector('.history-table tbody tr');
    const history = await page.textContent('.history-table tbody');
    expect(history).toContain(number);
    expect(history).toContain(code);
    await visited(page);

    await page.click("a[href='/wallet']");
    await page.waitForSelector('.statement-table tbody tr');
    const types = await page.$$eval('.statement-table tbody tr', (rows) =>
      rows.map((r) => r.getAttribute('data-type')),
    );
    expect(types).toEqual(expect.arrayContaining(['top-up', 'hold', 'capture']));
    const balance = (await page.textContent('#wallet-balance')) ?? '';
    expect(Number(balance.replace(/[$,]/g, ''))).toBeLessThan(10);
    await visited(page);
    await screenshotBoth(page, 'wallet');
    expect((await checkLedgerInvariants(runtime.database.db)).violations).toEqual([]);
    await context.close();
  }, 300_000);

  it('2: cancel before any SMS → refunded at once, and the balance shown says so', async () => {
    const context = await personContext(browser, findings);
    const page = await context.newPage();
    await signUp(page, 'journey-two@example.test', 'payg');
    await topUp(page, 500);
    // Spend the sign-up credit on a number whose code arrives, so the next one is paid in money.
    await page.goto(url('/verify'));
    await buy(page, 'telegram');
    await waitForText(page, '#verification-code', /\S/, 15_000);
    await page.click('text=Buy another number');
    await waitForText(page, '.sidebar-balance strong', /^\$5\.00$/);

    // A voice number gets no SMS from the sandbox: the person cancels while waiting.
    await buy(page, 'whatsapp', 'voice');
    await page.waitForFunction(
      () => document.querySelector('.sidebar-balance strong')?.textContent !== '$5.00',
    );
    expect(await balanceShown(page)).not.toBe('$5.00');
    await visited(page);
    await page.click('#cancel-btn');
    await waitForText(page, '.verification .badge', /canceled/);
    await waitForText(page, '.sidebar-balance strong', /^\$5\.00$/);
    await page.goto(url('/wallet'));
    await page.waitForSelector('.statement-table tbody tr[data-type="release"]');
    await waitForText(page, '#wallet-balance', /^\$5\.00$/);
    expect(await page.textContent('#wallet-held')).toBe('$0.00');
    await visited(page);
    await context.close();
  }, 300_000);

  it('3: upgrade to Pro on /plans at the server price → the area code unlocks and is used → cancel, keep → a failed renewal is past due → cancel ends it', async () => {
    const context = await personContext(browser, findings);
    const page = await context.newPage();
    const email = 'journey-three@example.test';
    await signUp(page, email);
    // Freemium: the option is there, switched off, and says why.
    await page.goto(url('/verify'));
    await waitForText(page, '#area-code-hint', /Not on your plan/);
    await page.waitForSelector('#area-code:disabled');
    await visited(page);
    await topUp(page, 2500);

    await page.goto(url('/plans'));
    await waitForText(page, '#current-tier', /^Freemium$/);
    await visited(page);
    expect(await page.textContent('[data-tier="pro"] .tier-price')).toContain('$25.00');
    await page.click('[data-tier="pro"] .plan-action');
    // The price to pay is the tier row's, said before the person confirms.
    expect(await waitForText(page, '#plan-price', /\$/)).toBe('$25.00');
    await visited(page);
    // A double click pays once and shows no refusal of the second click.
    await page.dblclick('#confirm-plan-btn');
    await waitForText(page, '#current-tier', /^Pro$/);
    await waitForText(page, '.sidebar-balance strong', /^\$0\.00$/);
    expect(await page.locator('.error-note').count()).toBe(0);
    expect(await page.textContent('#included-left')).toBe('$15.00 of $15.00');
    expect(await page.textContent('#renewal-date')).toMatch(/\d{4}/);
    await visited(page);
    expect(await screenshotBoth(page, 'plans')).toBe(0);

    // Pro includes the area code: the number bought is in it, paid from the included usage.
    await page.goto(url('/verify'));
    await waitForText(page, '#area-code-hint', /Included in your plan/);
    await page.waitForSelector('#area-code:enabled');
    await page.fill('#area-code', '702');
    const number = await buy(page, 'whatsapp');
    expect(number).toMatch(/^\+1702\d{7}$/);
    await visited(page);

    await page.goto(url('/plans'));
    await page.click('#cancel-plan-btn');
    await page.click('#confirm-plan-btn');
    await waitForText(page, '#cancel-notice', /Canceled: Pro/);
    expect(await page.textContent('#current-tier')).toBe('Pro');
    await visited(page);
    await page.click('#keep-plan-btn');
    await page.waitForSelector('#cancel-plan-btn');
    expect(await page.$('#cancel-notice')).toBeNull();

    // A month passes (the period is moved into the past) and the renewal job's work runs on an
    // empty wallet: the plan is past due, with the grace period shown.
    await runtime.database.db.execute(
      sql`update subscriptions set current_period_start = now() - interval '31 days',
          current_period_end = now() - interval '1 minute'
          where user_id = (select id from users where email = ${email})`,
    );
    await runtime.services.subscriptions.renewDue();
    await page.reload();
    await waitForText(page, '.current-plan .notice-danger', /renewal payment failed/);
    expect(await page.textContent('[data-tier="pro"] .plan-action')).toBe('Pay $25.00 now');
    await visited(page);
    await page.click('#cancel-plan-btn');
    await waitForText(page, '#confirm-change-title', /Cancel Pro/);
    await page.click('#confirm-plan-btn');
    await waitForText(page, '#current-tier', /^Pay as you go$/);
    await context.close();
  }, 300_000);

  it('4: a developer adds a webhook endpoint, sends a test event, buys with an API key and sees the signed delivery in the log; the revoked key is refused', async () => {
    const receiver = await startWebhookReceiver();
    const context = await personContext(browser, findings);
    const page = await context.newPage();
    try {
      await signUp(page, 'journey-four@example.test', 'payg');
      await page.goto(url('/api-keys'));
      await page.fill('#key-name', 'journey four');
      await page.click('#create-key-btn');
      const key = (await waitForText(page, '#new-api-key', /^nmk_live_/)).trim();

      await page.goto(url('/webhooks'));
      await page.waitForSelector('text=No endpoints');
      await visited(page);
      await page.fill('#webhook-url', `${receiver.base}/hooks/journey-four`);
      // A double click adds one endpoint (and the secret shown is its secret).
      await page.dblclick('#create-webhook-btn');
      const secret = (await waitForText(page, '#new-webhook-secret', /^whsec_/)).trim();
      await page.waitForSelector('.webhook-endpoint');
      const endpoints = await page.evaluate(async () => {
        const response = await fetch('/api/v1/webhook-endpoints', { credentials: 'same-origin' });
        return ((await response.json()) as { data: unknown[] }).data.length;
      });
      expect(endpoints).toBe(1);
      await page.click('.test-event-btn');
      await page.waitForSelector(
        '.deliveries-table tr[data-event-type="webhook.test"][data-status="succeeded"]',
      );
      expect(await page.textContent('tr[data-event-type="webhook.test"] .delivery-response')).toBe('200');

      // The program buys with the key; the code arrives and the event goes out by the delivery job.
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const bought = await fetch(url('/api/v1/verifications'), {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': 'journey-four-1' },
        body: JSON.stringify({ service: 'whatsapp', country: 'US' }),
      });
      expect(bought.status).toBe(201);
      const completed =
        '.deliveries-table tr[data-event-type="verification.completed"][data-status="succeeded"]';
      // The job runs once a minute: the page polls the log, the person waits for the row.
      await page.waitForSelector(completed, { timeout: 150_000 });
      expect(await page.textContent(`${completed} .delivery-response`)).toBe('200');
      await visited(page);
      expect(await screenshotBoth(page, 'webhooks')).toBe(0);

      const event = receiver.received.find((r) => r.body.includes('"verification.completed"'));
      const signature = String(event?.headers['namaskah-signature']);
      const t = /t=(\d+)/.exec(signature)?.[1];
      const expected = createHmac('sha256', secret).update(`${t}.${event?.body}`).digest('hex');
      expect(signature).toContain(`v1=${expected}`);

      await page.click('tr[data-event-type="webhook.test"] .redeliver-btn');
      await page.waitForFunction(
        () =>
          document.querySelectorAll('tr[data-event-type="webhook.test"][data-status="succeeded"]').length ===
          2,
      );
      await page.click('.rotate-secret-btn');
      await page.click('.confirm-btn');
      const rotated = await waitForReplaced(page, '#new-webhook-secret', 'whsec_', secret);
      expect(rotated).not.toBe(secret);
      await page.waitForSelector('text=The previous secret also signs until');

      await page.goto(url('/api-keys'));
      await page.click('.revoke-btn');
      await page.click('.revoke-confirm');
      await page.waitForSelector('text=No API keys');
      const refused = await fetch(url('/api/v1/verifications'), { headers });
      expect(refused.status).toBe(401);
    } finally {
      await context.close();
      await receiver.close();
    }
  }, 300_000);

  it('5: create an API key in the page, call the API with it, revoke it, the next call is refused', async () => {
    const context = await personContext(browser, findings);
    const page = await context.newPage();
    const email = 'journey-five@example.test';
    await signUp(page, email, 'payg');

    await page.goto(url('/api-keys'));
    await page.waitForSelector('text=No API keys');
    await visited(page);
    await page.fill('#key-name', 'journey five');
    // A double click makes one key (and the secret shown is that key's).
    await page.dblclick('#create-key-btn');
    const key = await waitForText(page, '#new-api-key', /^nmk_live_/);
    await page.waitForSelector('.api-keys-table tbody tr');
    await visited(page);
    const made = await page.evaluate(async () => {
      const response = await fetch('/api/v1/api-keys', { credentials: 'same-origin' });
      return ((await response.json()) as { data: unknown[] }).data.length;
    });
    expect(made).toBe(1);
    // A rate limit on the account read is waited out (Retry-After), never taken for a sign-out.
    let refused = 0;
    await page.route('**/api/v1/me', async (route) => {
      if (refused++ > 0) return route.continue();
      return route.fulfill({
        status: 429,
        contentType: 'application/json',
        headers: { 'retry-after': '1' },
        body: JSON.stringify({
          error: { code: 'rate_limited', message: 'Too many requests; retry in 1 second.' },
        }),
      });
    });
    await page.reload();
    await page.waitForSelector('.api-keys-table tbody tr');
    expect(new URL(page.url()).pathname).toBe('/api-keys');
    expect(refused).toBeGreaterThan(1);
    await page.unroute('**/api/v1/me');
    expect(await screenshotBoth(page, 'api-keys')).toBe(0);

    const callWith = (secret: string, p: string) =>
      fetch(url(p), { headers: { authorization: `Bearer ${secret.trim()}` } });
    const call = (p: string) => callWith(key, p);
    expect((await call('/api/v1/wallet')).status).toBe(200);
    expect((await call('/api/v1/verifications')).status).toBe(200);

    // Rotation: a new secret shown once; the replaced one keeps working through the overlap.
    await page.click('.rotate-btn');
    await page.click('.rotate-confirm');
    const rotated = await waitForReplaced(page, '#new-api-key', 'nmk_live_', key);
    expect(rotated.trim()).not.toBe(key.trim());
    await page.waitForSelector('text=previous key until');
    expect((await callWith(rotated, '/api/v1/wallet')).status).toBe(200);
    expect((await call('/api/v1/wallet')).status).toBe(200);

    await page.click('.revoke-btn');
    await page.click('.revoke-confirm');
    await page.waitForSelector('text=No API keys');
    expect((await call('/api/v1/wallet')).status).toBe(401);
    expect((await callWith(rotated, '/api/v1/wallet')).status).toBe(401);
    await context.close();
  }, 300_000);

  it('the signed-in pages, the auth pages and a phone-width visit pass the same checks', async () => {
    const context = await personContext(browser, findings, 390);
    const page = await context.newPage();
    await signUp(page, 'phone@example.test');
    for (const p of [
      '/dashboard',
      '/verify',
      '/history',
      '/wallet',
      '/plans',
      '/api-keys',
      '/webhooks',
      '/settings',
    ]) {
      await page.goto(url(p));
      await page.waitForSelector('h1');
      await visited(page);
      // Nothing wider than the phone: wide tables scroll inside their own box.
      expect(await horizontalOverflow(page), p).toBe(0);
    }
    await page.click('text=Set up two-factor authentication');
    await page.waitForSelector('#mfa-secret');
    await visited(page);
    await screenshot(page, 'settings');
    await page.click('text=Sign out');
    await page.waitForURL(/\/login/);
    for (const p of ['/forgot-password', '/confirm-email', '/reset-password?token=x']) {
      await page.goto(url(p));
      await page.waitForSelector('h1');
      await visited(page);
    }
    // A path that is no page of the app stays a 404 (in the API's error shape), not the app shell.
    const missing = await page.goto(url('/nothing-here'));
    expect(missing?.status()).toBe(404);
    await context.close();
  }, 300_000);

  it('the collectors notice a violation when there is one (so the zero below means something)', async () => {
    const control: Findings = { csp: [], axe: [], pageErrors: [] };
    const context = await personContext(browser, control);
    const page = await context.newPage();
    await page.goto(url('/'));
    await page.waitForSelector('h1');
    // What a careless change would do: an inline style, and an image without its alternative text.
    await page.evaluate(() => {
      const style = document.createElement('style');
      style.textContent = 'body { margin: 0 }';
      document.head.append(style);
      document.querySelector('main')?.append(document.createElement('img'));
    });
    await page.waitForTimeout(200);
    await audit(page, control);
    expect(control.csp.some((line) => /style-src/.test(line))).toBe(true);
    expect(control.axe.some((line) => /image-alt/.test(line))).toBe(true);
    await context.close();
  }, 120_000);

  it('saw no CSP violation, no page error and no serious or critical axe finding', () => {
    expect(findings.csp).toEqual([]);
    expect(findings.pageErrors).toEqual([]);
    expect(findings.axe).toEqual([]);
  });
});
