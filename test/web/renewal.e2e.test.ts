import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedgerInvariants } from '../../src/modules/ledger/index.js';
import type { Runtime } from '../../src/runtime.js';
import { type EmbeddedApp, startEmbeddedApp } from '../support/embedded.js';
import { type Findings, launchBrowser, personContext } from './browser.js';
import { journeySteps } from './steps.js';

/**
 * The /verify result of a completed order offers its number again (SPEC §14, reuse): the person
 * presses the button, a new order on the same number opens, and its code arrives live. Every page
 * is checked for CSP violations and by axe-core.
 */
let runtime: Runtime;
let base: string;
let embedded: EmbeddedApp;
let browser: Browser;
const findings: Findings = { csp: [], axe: [], pageErrors: [] };

beforeAll(async () => {
  embedded = await startEmbeddedApp({ SANDBOX_SMS_DELAY_MS: '2500', TRUST_PROXY: '127.0.0.1' });
  ({ runtime, base } = embedded);
  // Reuse here is TextVerified's: the number is bought there, not from the cheaper 5sim sandbox.
  await runtime.services.routing.setRule(runtime.database.db, {
    service: 'whatsapp',
    pinned: 'textverified',
    disabled: [],
  });
  runtime.services.routing.invalidate();
  runtime.services.catalog.invalidate();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await embedded?.close();
});

const { url, visited, waitForText, signUp, topUp, buy } = journeySteps({
  runtime: () => runtime,
  base: () => base,
  findings,
});

describe('reuse on /verify in Chromium', () => {
  it('a completed number is offered again; the reuse is a new order whose code arrives live', async () => {
    const context = await personContext(browser, findings);
    const page = await context.newPage();
    await signUp(page, 'reuse@example.test', 'payg');
    await topUp(page, 500);
    await page.goto(url('/verify'));
    await visited(page);
    const number = await buy(page, 'whatsapp');
    await waitForText(page, '#verification-code', /^[0-9A-Z]{4,8}$/, 15_000);
    const firstUrl = page.url();

    await page.waitForSelector('#reuse-btn', { timeout: 15_000 });
    await visited(page);
    await page.click('#reuse-btn');
    await page.waitForURL((u) => u.toString() !== firstUrl, { timeout: 15_000 });
    expect(await waitForText(page, '#phone-number', /^\+1/)).toBe(number);
    await page.waitForSelector('text=the earlier order');
    const code = await waitForText(page, '#verification-code', /^[0-9A-Z]{4,8}$/, 15_000);
    expect(code).toMatch(/^[0-9A-Z]{4,8}$/);
    await waitForText(page, '.verification .badge', /completed/);
    await visited(page);
    expect((await checkLedgerInvariants(runtime.database.db)).violations).toEqual([]);
    await context.close();
  }, 300_000);

  it('saw no CSP violation, no page error and no serious or critical axe finding', () => {
    expect(findings.csp).toEqual([]);
    expect(findings.pageErrors).toEqual([]);
    expect(findings.axe).toEqual([]);
  });
});
