import { sql } from 'drizzle-orm';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedgerInvariants } from '../../src/modules/ledger/index.js';
import type { Runtime } from '../../src/runtime.js';
import { type EmbeddedApp, startEmbeddedApp } from '../support/embedded.js';
import { type Findings, audit, launchBrowser, personContext, screenshotBoth } from './browser.js';

/**
 * SPEC §1 journey 6 in Chromium on the embedded default: an administrator (made as `npm run
 * admin:create` makes one) turns on two-factor authentication, signs in with it, finds a user, reads
 * their ledger, adjusts their balance with a reason, suspends them, reads the audit log and the
 * ledger's invariants. The user's own browser and API key show what that does to them. Every page
 * visited is checked for CSP violations and by axe-core.
 */
let runtime: Runtime;
let base: string;
let embedded: EmbeddedApp;
let browser: Browser;
const findings: Findings = { csp: [], axe: [], pageErrors: [] };
const PASSWORD = 'correct horse battery staple 42';
const USER_EMAIL = 'held-account@example.test';
const ADMIN_EMAIL = 'ops-admin@example.test';
/** Generous: two cores shared by several test runs. */
const SLOW = { timeout: 20_000 };

beforeAll(async () => {
  embedded = await startEmbeddedApp({ TRUST_PROXY: '127.0.0.1' });
  ({ runtime, base } = embedded);
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await embedded?.close();
});

const url = (p: string) => `${base}${p}`;

/** Waits for the page to settle (no loading state left), then audits it. */
async function visited(page: Page) {
  await page.waitForLoadState('load');
  // Functions, never strings: a string predicate is evaluated with eval, which the CSP refuses.
  await page
    .waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 10_000 })
    .catch(() => undefined);
  await audit(page, findings);
}

/** The visible text of `selector` once it matches `pattern`. */
async function textOf(page: Page, selector: string, pattern: RegExp) {
  const locator = page.locator(selector).first();
  await expect.poll(async () => (await locator.textContent()) ?? '', SLOW).toMatch(pattern);
  return (await locator.textContent()) ?? '';
}

/**
 * A TOTP code the server has not seen yet: it accepts each time step once, and one step either side
 * of now. After a code of the current step, the next step's code is the fresh one.
 */
let lastStep = 0;
async function freshCode(secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const epoch = Math.max(now, (lastStep + 1) * 30);
  lastStep = Math.floor(epoch / 30);
  return generate({ secret, epoch });
}

async function signIn(page: Page, email: string, password: string, otp?: () => Promise<string>) {
  await page.goto(url('/login'));
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  if (otp) {
    // The first answer asks for the second factor; the form grows the code field.
    await page.locator('#otp').waitFor(SLOW);
    await visited(page);
    await page.fill('#otp', await otp());
    await page.click('button[type=submit]');
  }
  await page.waitForURL(url('/dashboard'), SLOW);
  await page.locator('#balance').waitFor(SLOW);
}

/** The person tops up at the Paystack sandbox's checkout and comes back to the wallet. */
async function topUp(page: Page, cents: number) {
  await page.goto(url('/wallet'));
  await page.locator('#wallet-balance').waitFor(SLOW);
  await page.click(`button[data-amount="${cents}"]`);
  await page.locator('button.pay').waitFor(SLOW);
  await page.click('button.pay');
  await page.waitForURL(/\/wallet\?topup=.*status=succeeded/, SLOW);
  await page.getByText('Payment received').waitFor(SLOW);
}

async function adminSection(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor(SLOW);
}

describe('journey 6 in Chromium: an administrator at work', () => {
  let userId: string;
  let apiKey: string;
  let person: BrowserContext;
  let userPage: Page;
  let admin: BrowserContext;
  let adminPage: Page;
  let mfaSecret: string;

  it('an ordinary user sees no admin link, and /admin tells them it is not for them', async () => {
    const created = await runtime.services.accounts.createUser({ email: USER_EMAIL, password: PASSWORD });
    userId = created!.id;
    await runtime.database.db.execute(
      sql`update users set email_confirmed_at = now(), tier = 'payg' where id = ${userId}`,
    );
    ({ key: apiKey } = await runtime.services.apiKeys.create({
      userId,
      name: 'their integration',
      scopes: ['account:read', 'wallet:read'],
      ip: null,
    }));

    person = await personContext(browser, findings);
    userPage = await person.newPage();
    await signIn(userPage, USER_EMAIL, PASSWORD);
    expect(await userPage.locator('.sidebar-nav a[href="/admin"]').count()).toBe(0);
    await userPage.goto(url('/admin/users'));
    await userPage.getByRole('heading', { name: 'Not allowed' }).waitFor(SLOW);
    expect(await userPage.textContent('main')).toContain('administrators only');
    await visited(userPage);

    await topUp(userPage, 1000);
    // The balance is fetched again after the payment; until it arrives it shows '…'.
    expect(await textOf(userPage, '#wallet-balance', /^\$10\.00$/)).toBe('$10.00');
  }, 180_000);

  it('an administrator without two-factor authentication is sent to enrol, then signs in with a code', async () => {
    const made = await runtime.services.accounts.provisionAdmin(ADMIN_EMAIL);
    expect(made.outcome).toBe('created');
    const password = made.outcome === 'created' ? made.password : '';

    admin = await personContext(browser, findings);
    adminPage = await admin.newPage();
    await signIn(adminPage, ADMIN_EMAIL, password);
    await adminPage.click('.sidebar-nav a[href="/admin"]');
    await adminPage.getByRole('heading', { name: 'Turn on two-factor authentication' }).waitFor(SLOW);
    await visited(adminPage);

    await adminPage.click('#admin-mfa-setup');
    await adminPage.waitForURL(url('/settings'), SLOW);
    // The settings page's button: until that page has loaded, the admin page's link of the same
    // words may still be on screen after the address changed (CI clicked it and waited 45 s).
    await adminPage.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    mfaSecret = (await textOf(adminPage, '#mfa-secret', /^[A-Z2-7]{16,}$/)).trim();
    // The key as a QR code to scan, drawn as a data-URL image (no CSP exception).
    const qr = adminPage.getByAltText('QR code of your two-factor key');
    await qr.waitFor(SLOW);
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await adminPage.fill('#mfa-otp', await freshCode(mfaSecret));
    await adminPage.click('button:has-text("Turn on")');
    await adminPage.getByText('Two-factor authentication is on.').waitFor(SLOW);

    await adminPage.click('.sidebar-user button');
    await adminPage.waitForURL(/\/login/, SLOW);
    await signIn(adminPage, ADMIN_EMAIL, password, () => freshCode(mfaSecret));
    await adminPage.click('.sidebar-nav a[href="/admin"]');
    await adminPage.waitForURL(url('/admin/users'), SLOW);
    await adminPage.getByRole('heading', { level: 1, name: 'Users' }).waitFor(SLOW);
    await visited(adminPage);
  }, 180_000);

  it('finds the user, reads their ledger and adjusts the balance with a reason: the user sees it', async () => {
    await adminPage.fill('#user-search', 'held-account');
    await adminPage.click('#user-search-btn');
    const row = adminPage.locator('.admin-users-table tbody tr', { hasText: USER_EMAIL });
    await row.waitFor(SLOW);
    await row.getByRole('link', { name: USER_EMAIL }).click();
    await adminPage.waitForURL(url(`/admin/users/${userId}`), SLOW);
    expect(await textOf(adminPage, '#admin-user-balance', /\$/)).toBe('$10.00');
    await adminPage.locator('.admin-ledger-table tbody tr[data-type="top-up"]').waitFor(SLOW);
    expect(await adminPage.textContent('.admin-ledger-table tbody')).toContain('+$10.00');
    await visited(adminPage);

    await adminPage.fill('#adjust-amount', '2.50');
    await adminPage.fill('#adjust-reason', 'Goodwill credit for a late code (ticket 4521)');
    await adminPage.click('#adjust-btn');
    expect(await textOf(adminPage, '#adjust-confirm-text', /Credit/)).toContain('$2.50');
    await visited(adminPage);
    await adminPage.click('#adjust-confirm');
    await adminPage.getByText('The balance is now $12.50.').waitFor(SLOW);
    expect(await textOf(adminPage, '#admin-user-balance', /12\.50/)).toBe('$12.50');
    await adminPage.locator('.admin-ledger-table tbody tr[data-type="adjustment"]').waitFor(SLOW);
    await visited(adminPage);

    // The user's open page: the next page they open shows the new balance and the statement line.
    await userPage.click('.sidebar-nav a[href="/dashboard"]');
    await userPage.locator('#balance').waitFor(SLOW);
    await userPage.click('.sidebar-nav a[href="/wallet"]');
    expect(await textOf(userPage, '#wallet-balance', /12\.50/)).toBe('$12.50');
    const line = userPage.locator('.statement-table tbody tr[data-type="adjustment"]');
    await line.waitFor(SLOW);
    expect(await line.textContent()).toContain('Balance adjustment');
    expect(await line.textContent()).toContain('+$2.50');
  }, 180_000);

  it('suspends the user: their open page and their API key are refused at once', async () => {
    const call = (path: string) => fetch(url(path), { headers: { authorization: `Bearer ${apiKey}` } });
    expect((await call('/api/v1/wallet')).status).toBe(200);

    await adminPage.fill('#suspend-reason', 'Chargeback under review');
    await adminPage.click('#suspend-btn');
    await adminPage.locator('#suspend-confirm').waitFor(SLOW);
    await visited(adminPage);
    await adminPage.click('#suspend-confirm');
    expect(await textOf(adminPage, '#user-status', /suspended/)).toBe('suspended');
    await adminPage.getByText('This account is suspended: it cannot sign in').waitFor(SLOW);
    await adminPage.locator('#unsuspend-btn').waitFor(SLOW);
    await visited(adminPage);
    await screenshotBoth(adminPage, 'admin-user');
    await adminPage.setViewportSize({ width: 390, height: 844 });
    await visited(adminPage);
    await adminPage.setViewportSize({ width: 1280, height: 900 });

    const refused = await call('/api/v1/wallet');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      'This account is suspended.',
    );

    // The page they had open: the next thing they do shows why nothing works any more.
    await userPage.click('.sidebar-nav a[href="/history"]');
    await userPage.getByRole('heading', { name: 'Your account is suspended' }).waitFor(SLOW);
    expect(await userPage.locator('.sidebar').count()).toBe(0);
    await visited(userPage);
    await userPage.reload();
    await userPage.getByRole('heading', { name: 'Your account is suspended' }).waitFor(SLOW);
    // Signing in again does not get them back in.
    await userPage.click('#account-suspended button:has-text("Sign out")');
    await userPage.waitForURL(/\/login/, SLOW);
    await userPage.fill('#email', USER_EMAIL);
    await userPage.fill('#password', PASSWORD);
    await userPage.click('button[type=submit]');
    expect(await textOf(userPage, '.error-note', /suspended/)).toContain('This account is suspended.');
    await visited(userPage);
  }, 180_000);

  it('reads both actions in the audit log, filtered to the user, and the ledger invariants hold', async () => {
    await adminSection(adminPage, 'Audit log');
    await adminPage.locator('.audit-table tbody tr').first().waitFor(SLOW);
    await visited(adminPage);
    await adminPage.fill('#audit-subject', userId);
    await adminPage.click('#audit-filter-btn');
    await adminPage.waitForURL((u) => u.searchParams.get('subjectId') === userId, SLOW);
    const adjusted = adminPage.locator('.audit-table tbody tr[data-action="admin.balance_adjusted"]');
    await adjusted.waitFor(SLOW);
    expect(await adjusted.textContent()).toContain('Goodwill credit for a late code (ticket 4521)');
    const suspended = adminPage.locator('.audit-table tbody tr[data-action="user.suspended"]');
    await suspended.waitFor(SLOW);
    expect(await suspended.textContent()).toContain('Chargeback under review');
    const actions = await adminPage.$$eval('.audit-table tbody tr', (rows) =>
      rows.map((r) => r.getAttribute('data-action')),
    );
    // Newest first: the suspension came after the adjustment.
    expect(actions.indexOf('user.suspended')).toBeLessThan(actions.indexOf('admin.balance_adjusted'));
    await visited(adminPage);

    await adminPage.fill('#audit-subject', '');
    await adminPage.fill('#audit-action', 'user.suspended');
    await adminPage.click('#audit-filter-btn');
    await adminPage.waitForURL(/action=user\.suspended/, SLOW);
    await expect
      .poll(
        () =>
          adminPage.$$eval('.audit-table tbody tr', (rows) => [
            ...new Set(rows.map((r) => r.getAttribute('data-action'))),
          ]),
        SLOW,
      )
      .toEqual(['user.suspended']);

    await adminSection(adminPage, 'Ledger invariants');
    expect(await textOf(adminPage, '#invariants-result', /hold|violation/)).toContain('All invariants hold.');
    await visited(adminPage);
    expect((await checkLedgerInvariants(runtime.database.db)).violations).toEqual([]);
  }, 180_000);

  it('providers, pricing and tiers: read and edited in the page, the change takes effect', async () => {
    await adminSection(adminPage, 'Providers');
    expect(await textOf(adminPage, '#textverified-health', /ealthy/)).toBe('Healthy');
    expect(await textOf(adminPage, '#textverified-balance', /\$/)).toMatch(/^\$[\d,]+\.\d\d$/);
    expect(await textOf(adminPage, '#fivesim-health', /ealthy/)).toBe('Healthy');
    // Routing: 5sim disabled for Telegram from the page, then shown in the rules and obeyed.
    await adminPage.fill('#routing-service', 'telegram');
    await adminPage.selectOption('#routing-choice', 'off-fivesim');
    await adminPage.fill('#routing-reason', 'Telegram codes arrive late at 5sim');
    await visited(adminPage);
    await adminPage.click('#routing-save');
    await adminPage.getByText('Routing saved.').waitFor(SLOW);
    expect(await textOf(adminPage, '#routing-rules', /telegram/)).toContain('Never 5sim');
    expect(await runtime.services.routing.rules()).toEqual([
      { service: 'telegram', pinned: null, disabled: ['fivesim'] },
    ]);
    await visited(adminPage);

    await adminSection(adminPage, 'Pricing');
    await adminPage.locator('#default-markup').waitFor(SLOW);
    await adminPage.click('#markup-add');
    await adminPage.fill('#markup-service-0', 'whatsapp');
    await adminPage.fill('#markup-percent-0', '50');
    await adminPage.fill('#markup-reason', 'Supplier price rise');
    await visited(adminPage);
    await adminPage.click('#markup-save');
    await adminPage.getByText('Markups saved.').waitFor(SLOW);
    expect(await runtime.services.admin.markups()).toMatchObject({
      overrides: [{ service: 'whatsapp', markupBps: 15_000 }],
    });

    await adminSection(adminPage, 'Tiers');
    await adminPage.click('#tier-payg summary');
    await adminPage.fill('#tier-payg-maxActiveOrders', '12');
    await adminPage.fill('#tier-payg-reason', 'More parallel orders for resellers');
    await adminPage.click('#tier-payg .tier-save');
    await adminPage.locator('#tier-payg').getByText('Saved.').waitFor(SLOW);
    await visited(adminPage);
    expect((await runtime.services.tiers.get('payg')).maxActiveOrders).toBe(12);
  }, 180_000);

  it('reactivates the user: their API key works again', async () => {
    await adminSection(adminPage, 'Users');
    await adminPage.fill('#user-search', USER_EMAIL);
    await adminPage.click('#user-search-btn');
    await adminPage.getByRole('link', { name: USER_EMAIL }).click();
    await adminPage.locator('#unsuspend-btn').waitFor(SLOW);
    await adminPage.click('#unsuspend-btn');
    expect(await textOf(adminPage, '#user-status', /active/)).toBe('active');
    const again = await fetch(url('/api/v1/wallet'), { headers: { authorization: `Bearer ${apiKey}` } });
    expect(again.status).toBe(200);
    await person.close();
    await admin.close();
  }, 60_000);

  it('saw no CSP violation, no page error and no serious or critical axe finding', () => {
    expect(findings.csp).toEqual([]);
    expect(findings.pageErrors).toEqual([]);
    expect(findings.axe).toEqual([]);
  });
});
