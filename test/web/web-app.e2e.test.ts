import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/platform/http/security-headers.js';
import { WEB_APP_ROUTES } from '../../src/platform/http/web-app.js';
import type { Runtime } from '../../src/runtime.js';
import { solveCaptcha } from '../support/captcha.js';
import { type EmbeddedApp, startEmbeddedApp } from '../support/embedded.js';

/**
 * The server side of the web app on the embedded default: what it serves with which cache headers,
 * what it refuses to serve, and that every link the product sends (e-mails, the Paystack callback)
 * lands on a page of the app.
 */
let embedded: EmbeddedApp;
let runtime: Runtime;
let base: string;

beforeAll(async () => {
  embedded = await startEmbeddedApp();
  ({ runtime, base } = embedded);
}, 180_000);

afterAll(async () => {
  await embedded?.close();
});

/** A link is good when it is on this site and answers the app's HTML page (after redirects). */
async function expectAppPage(link: string) {
  expect(link.startsWith(base), link).toBe(true);
  const response = await fetch(link);
  expect(response.status, link).toBe(200);
  expect(response.headers.get('content-type'), link).toMatch(/^text\/html/);
  expect(await response.text(), link).toContain('<div id="root"></div>');
  const landed = new URL(response.url);
  const pathOk = WEB_APP_ROUTES.some((route) =>
    route.endsWith('/*') ? landed.pathname.startsWith(route.slice(0, -1)) : landed.pathname === route,
  );
  expect(pathOk, `${link} landed on ${landed.pathname}`).toBe(true);
}

const linksIn = (text: string) =>
  [...text.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0].replace(/&amp;/g, '&'));

describe('the web app as served', () => {
  it('answers every SPEC §11 route with the app shell, revalidated on every load, under the strict CSP', async () => {
    for (const route of WEB_APP_ROUTES) {
      const response = await runtime.app.inject({ url: route.replace('*', 'users') });
      expect(response.statusCode, route).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(response.body).toContain('<div id="root"></div>');
    }
  });

  it('serves hashed assets for a year and immutable; a missing asset or page is a 404, the API never falls back', async () => {
    const index = (await runtime.app.inject({ url: '/' })).body;
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(script).toBeDefined();
    const asset = await runtime.app.inject({ url: script! });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/javascript/);

    for (const url of [
      '/assets/missing-0000.js',
      '/no-such-page',
      '/api/v1/no-such-route',
      '/api/v1/wallets',
    ]) {
      const response = await runtime.app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    }
  });

  it('tells the page it runs embedded, with the sandbox inbox it links', async () => {
    const meta = await runtime.app.inject({ url: '/api/v1/meta' });
    expect(meta.json()).toEqual({ embedded: true, sandboxMailUrl: '/_sandbox/mail/' });
    expect((await fetch(`${base}/_sandbox/mail/`)).status).toBe(200);
  });

  it('every link in the e-mails the product sends and the Paystack callback lands on a page of the app', async () => {
    const email = 'links@example.test';
    const password = 'correct horse battery staple 42';
    const post = (url: string, body: unknown, token?: string) =>
      fetch(`${base}${url}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
        redirect: 'manual',
      });
    expect(
      (await post('/api/v1/auth/register', { email, password, captcha: await solveCaptcha(runtime.app) }))
        .status,
    ).toBe(202);
    const smtp = runtime.sandboxes!.smtp;
    const confirmation = await smtp.waitForMessage(
      (m) => m.to.includes(email) && /confirm-email/.test(m.text),
      10_000,
    );
    const token = /confirm-email\?token=([^\s"&<]+)/.exec(confirmation.text)![1]!;
    expect((await post('/api/v1/auth/email/confirm', { token: decodeURIComponent(token) })).status).toBe(200);

    expect(
      (await post('/api/v1/auth/password/forgot', { email, captcha: await solveCaptcha(runtime.app) }))
        .status,
    ).toBe(202);
    await smtp.waitForMessage((m) => m.to.includes(email) && /reset-password/.test(m.text), 10_000);
    const login = await (await post('/api/v1/auth/login', { email, password })).json();
    const access = login.accessToken as string;
    const changed = await post(
      '/api/v1/auth/password/change',
      { currentPassword: password, newPassword: `${password}!` },
      access,
    );
    expect(changed.status).toBe(200);
    await smtp.waitForMessage((m) => m.to.includes(email) && /settings\/security/.test(m.text), 10_000);

    const mails = smtp.messagesTo(email);
    expect(mails.length).toBeGreaterThanOrEqual(3);
    const links = new Set(mails.flatMap((m) => [...linksIn(m.text), ...linksIn(m.html ?? '')]));
    expect([...links].some((l) => l.includes('/confirm-email?token='))).toBe(true);
    expect([...links].some((l) => l.includes('/reset-password?token='))).toBe(true);
    for (const link of links) await expectAppPage(link);

    // The Paystack checkout sends the browser back through the callback to the wallet page.
    const topup = await (
      await post(
        '/api/v1/wallet/topups',
        { amount: 500 },
        (await (await post('/api/v1/auth/login', { email, password: `${password}!` })).json()).accessToken,
      )
    ).json();
    const checkout = await fetch(topup.authorizationUrl as string);
    const action = /<form method="post" action="([^"]+\/pay)"/.exec(await checkout.text())![1]!;
    const paid = await fetch(new URL(action, checkout.url), { method: 'POST', redirect: 'manual' });
    const callback = paid.headers.get('location')!;
    expect(callback.startsWith(`${base}/api/v1/wallet/topups/callback`)).toBe(true);
    await expectAppPage(callback);
    // A callback for a reference nobody knows still lands on the wallet page (status unknown).
    await expectAppPage(`${base}/api/v1/wallet/topups/callback?reference=nope`);
  }, 60_000);
});
