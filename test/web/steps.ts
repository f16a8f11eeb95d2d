import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { type Findings, audit } from './browser.js';

export const PASSWORD = 'correct horse battery staple 42';

/**
 * What a person does in the browser, step by step, against one running app. Every wait is for
 * something the person would see, with timeouts generous enough for a machine under heavy load.
 */
export function journeySteps(env: { runtime: () => Runtime; base: () => string; findings: Findings }) {
  const url = (p: string) => `${env.base()}${p}`;

  /** Waits for the page to settle (no loading state left), then audits it. */
  async function visited(page: Page) {
    await page.waitForLoadState('load');
    // Not `networkidle`: a verification page keeps its event stream open, the webhooks page polls.
    // Functions, never strings: a string predicate is evaluated with eval, which the CSP refuses.
    await page
      .waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 15_000 })
      .catch(() => undefined);
    await audit(page, env.findings);
  }

  async function waitForText(page: Page, selector: string, pattern: RegExp, timeout = 20_000) {
    await page.waitForFunction(
      // eslint-disable-next-line security/detect-non-literal-regexp -- the test's own patterns
      ([s, source, flags]) => new RegExp(source!, flags).test(document.querySelector(s!)?.textContent ?? ''),
      [selector, pattern.source, pattern.flags],
      { timeout },
    );
    return (await page.textContent(selector)) ?? '';
  }

  async function register(page: Page, email: string) {
    await page.goto(url('/register'));
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await visited(page);
    // The page solves the ALTCHA proof of work by itself; the button is enabled once it has.
    await page.click('button[type=submit]', { timeout: 60_000 });
    await page.waitForSelector('text=Check your inbox', { timeout: 30_000 });
    await visited(page);
  }

  async function confirmByMail(page: Page, email: string) {
    const mail = await env.runtime().sandboxes!.smtp.waitForMessage((m) => m.to.includes(email), 30_000);
    const link = /https?:\/\/\S+\/confirm-email\?token=[^\s"<]+/.exec(mail.text)?.[0];
    expect(link).toBeDefined();
    await page.goto(link!);
    await page.waitForSelector('text=is confirmed', { timeout: 30_000 });
    await visited(page);
  }

  async function login(page: Page, email: string) {
    await page.goto(url('/login'));
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await visited(page);
    await page.click('button[type=submit]');
    await page.waitForURL(url('/dashboard'), { timeout: 30_000 });
    await page.waitForSelector('#balance');
    await visited(page);
  }

  /** The person moves from freemium to pay-as-you-go on the plans page (free, at once). */
  async function switchToPayg(page: Page) {
    await page.goto(url('/plans'));
    await page.waitForSelector('[data-tier="payg"] .plan-action');
    await visited(page);
    await page.click('[data-tier="payg"] .plan-action');
    await waitForText(page, '#current-tier', /^Pay as you go$/);
  }

  /** Register, confirm by the e-mailed link, sign in; then on to payg on /plans when asked. */
  async function signUp(page: Page, email: string, tier?: 'payg') {
    await register(page, email);
    await confirmByMail(page, email);
    await login(page, email);
    if (tier) await switchToPayg(page);
  }

  async function topUp(page: Page, cents: number) {
    await page.goto(url('/wallet'));
    await page.waitForSelector('#wallet-balance');
    await visited(page);
    // An amount outside the limits is explained at the field, in dollars, before any request.
    await page.fill('#topup-amount', '2000');
    await waitForText(page, '#topup-amount-error', /\$1\.00 to \$1,000\.00/);
    if (!(await page.isDisabled('.custom-topup button[type=submit]'))) {
      throw new Error('the top-up button stayed enabled for an amount over the limit');
    }
    await page.fill('#topup-amount', '');
    const topUps = () =>
      page.evaluate(async () => {
        const response = await fetch('/api/v1/wallet/topups', { credentials: 'same-origin' });
        return ((await response.json()) as { data: unknown[] }).data.length;
      });
    const before = await topUps();
    // A double click opens one top-up, not two.
    await page.dblclick(`button[data-amount="${cents}"]`);
    // The Paystack sandbox's hosted checkout: the person presses Pay and comes back to the wallet.
    await page.waitForSelector('button.pay', { timeout: 30_000 });
    await page.click('button.pay');
    await page.waitForURL(/\/wallet\?topup=.*status=succeeded/, { timeout: 30_000 });
    await page.waitForSelector('text=Payment received', { timeout: 30_000 });
    await visited(page);
    if ((await topUps()) !== before + 1)
      throw new Error('one press on a top-up amount opened more than one top-up');
    // The page asks the server: a link claiming success for a payment it does not know proves nothing.
    await page.goto(url('/wallet?topup=nmk-tu-FORGEDFORGEDFORGEDFORGED&status=succeeded'));
    await page.waitForSelector('text=We could not find that payment', { timeout: 20_000 });
    if ((await page.locator('text=Payment received').count()) !== 0) {
      throw new Error('the wallet believed a forged top-up result');
    }
  }

  async function buy(page: Page, service: string, capability: 'sms' | 'voice' = 'sms') {
    await page.waitForSelector(`#service-select option[value="${service}"]`, { state: 'attached' });
    await page.selectOption('#service-select', service);
    if (capability === 'voice') await page.check('input[name=capability][value=voice]');
    await waitForText(page, '#quote-price', /\$\d/);
    await page.click('#purchase-btn');
    return waitForText(page, '#phone-number', /^\+1/);
  }

  return { url, visited, waitForText, register, confirmByMail, login, switchToPayg, signUp, topUp, buy };
}
