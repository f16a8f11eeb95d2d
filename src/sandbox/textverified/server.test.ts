/** Protocol-level checks of the sandbox with plain fetch: paths, auth, shapes, status codes, control API. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  startTextVerifiedSandbox,
  type TextVerifiedSandbox,
  type TextVerifiedSandboxOptions,
} from './server.js';

const API_KEY = 'tv_key';
const USERNAME = 'me@example.test';

let sandbox: TextVerifiedSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(opts: Partial<TextVerifiedSandboxOptions> = {}) {
  sandbox = await startTextVerifiedSandbox({
    apiKey: API_KEY,
    username: USERNAME,
    webhookSecret: 'whsec_x',
    smsDelayMs: 60_000,
    ...opts,
  });
  return sandbox;
}

async function token(sb: TextVerifiedSandbox): Promise<string> {
  const res = await fetch(`${sb.url}/api/pub/v2/auth`, {
    method: 'POST',
    headers: { 'X-API-KEY': API_KEY, 'X-API-USERNAME': USERNAME },
  });
  return ((await res.json()) as { token: string }).token;
}

const call = (
  sb: TextVerifiedSandbox,
  bearer: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) =>
  fetch(`${sb.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('TextVerified sandbox protocol', () => {
  it('issues JWT-like bearer tokens with expiresIn/expiresAt and refuses missing, bad or expired ones', async () => {
    let clock = Date.parse('2026-11-25T12:00:00Z');
    const sb = await start({ now: () => new Date(clock) });
    const res = await fetch(`${sb.url}/api/pub/v2/auth`, {
      method: 'POST',
      headers: { 'X-API-KEY': API_KEY, 'X-API-USERNAME': USERNAME },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; expiresIn: number; expiresAt: string };
    expect(body.token).toMatch(/^eyJh/);
    expect(body.expiresIn).toBe(899);
    expect(body.expiresAt).toBe('2026-11-25T12:15:00.000+00:00');

    const bad = await fetch(`${sb.url}/api/pub/v2/auth`, {
      method: 'POST',
      headers: { 'X-API-KEY': 'nope', 'X-API-USERNAME': USERNAME },
    });
    expect(bad.status).toBe(401);
    expect((await fetch(`${sb.url}/api/pub/v2/account/me`)).status).toBe(401);
    expect((await call(sb, 'eyJhbogus', 'GET', '/api/pub/v2/account/me')).status).toBe(401);

    const me = await call(sb, body.token, 'GET', '/api/pub/v2/account/me');
    expect(await me.json()).toEqual({ username: USERNAME, currentBalance: 100 });
    clock += 900_000;
    expect((await call(sb, body.token, 'GET', '/api/pub/v2/account/me')).status).toBe(401);
  });

  it('creates with 201 + Location + Link body and serves VerificationExpanded with absolute links', async () => {
    const sb = await start();
    const t = await token(sb);
    const res = await call(
      sb,
      t,
      'POST',
      '/api/pub/v2/verifications',
      { serviceName: 'discord', capability: 'sms' },
      { 'Idempotency-Key': 'k1' },
    );
    expect(res.status).toBe(201);
    const link = (await res.json()) as { method: string; href: string };
    expect(link.method).toBe('GET');
    expect(res.headers.get('location')).toBe(link.href);
    expect(link.href.startsWith(`${sb.url}/api/pub/v2/verifications/ver_`)).toBe(true);

    const details = (await (await call(sb, t, 'GET', new URL(link.href).pathname)).json()) as Record<
      string,
      unknown
    >;
    expect(Object.keys(details).sort()).toEqual(
      [
        'id',
        'number',
        'serviceName',
        'state',
        'totalCost',
        'createdAt',
        'endsAt',
        'sms',
        'calls',
        'sale',
        'cancel',
        'report',
        'reuse',
        'reactivate',
      ].sort(),
    );
    expect(details).toMatchObject({
      serviceName: 'discord',
      state: 'verificationPending',
      totalCost: 0.7,
      cancel: { canCancel: true, link: { method: 'POST' } },
      report: { canReport: true },
      reuse: { reusableUntil: null },
      reactivate: { canReactivate: false },
    });
    expect((details.sms as { href: string }).href).toBe(
      `${sb.url}/api/pub/v2/sms?reservationId=${String(details.id)}`,
    );
    const sale = await call(sb, t, 'GET', new URL((details.sale as { href: string }).href).pathname);
    expect(await sale.json()).toMatchObject({
      state: 'succeeded',
      total: 0.7,
      reservations: [{ id: details.id, reservationType: 'verification' }],
    });

    const replay = await call(
      sb,
      t,
      'POST',
      '/api/pub/v2/verifications',
      { serviceName: 'discord', capability: 'sms' },
      { 'Idempotency-Key': 'k1' },
    );
    expect(replay.status).toBe(201);
    expect(replay.headers.get('location')).toBe(link.href);
    const tooLong = await call(
      sb,
      t,
      'POST',
      '/api/pub/v2/verifications',
      { serviceName: 'discord', capability: 'sms' },
      { 'Idempotency-Key': 'x'.repeat(257) },
    );
    expect(tooLong.status).toBe(400);
  });

  it('answers refusals with Error bodies and required-field checks', async () => {
    const sb = await start();
    const t = await token(sb);
    const missing = await call(sb, t, 'GET', '/api/pub/v2/services');
    expect(missing.status).toBe(400);
    expect(Object.keys((await missing.json()) as object).sort()).toEqual(['errorCode', 'errorDescription']);
    const out = await call(sb, t, 'POST', '/api/pub/v2/verifications', {
      serviceName: 'yikyak',
      capability: 'sms',
    });
    expect(out.status).toBe(400);
    expect(await out.json()).toMatchObject({ errorCode: 'Unavailable' });
    const noCap = await call(sb, t, 'POST', '/api/pub/v2/verifications', { serviceName: 'whatsapp' });
    expect(noCap.status).toBe(400);
    const voiceOnlySms = await call(sb, t, 'POST', '/api/pub/v2/verifications', {
      serviceName: 'uber',
      capability: 'voice',
    });
    expect(voiceOnlySms.status).toBe(400);
    expect((await call(sb, t, 'GET', '/api/pub/v2/verifications/ver_nope')).status).toBe(404);
  });

  it('refuses a create whose price is above maxPrice (a JSON number of dollars), and only then', async () => {
    const sb = await start();
    const t = await token(sb);
    const create = (body: Record<string, unknown>) =>
      call(sb, t, 'POST', '/api/pub/v2/verifications', { capability: 'sms', ...body });
    // whatsapp 0.95 + area code 0.10 + carrier 0.10: 1.15, which is not 115/100 exactly once multiplied by 100.
    const options = { serviceName: 'whatsapp', areaCodeSelectOption: ['415'], carrierSelectOption: ['vz'] };
    for (const maxPrice of [1.14, 1.149, 0, -1]) {
      const res = await create({ ...options, maxPrice });
      expect(res.status, `maxPrice ${maxPrice}`).toBe(400);
      expect(await res.json()).toMatchObject({ errorCode: 'PricingFailure' });
    }
    expect(sb.control.getBalance()).toBe(10_000);
    for (const maxPrice of [1.15, 1.16, 1_000_000]) {
      expect((await create({ ...options, maxPrice })).status, `maxPrice ${maxPrice}`).toBe(201);
    }
    expect(sb.control.getBalance()).toBe(10_000 - 3 * 115);
    expect((await create({ serviceName: 'discord', maxPrice: 0.7 })).status).toBe(201);
    expect((await create({ serviceName: 'discord', maxPrice: 0.69 })).status).toBe(400);
    expect((await create({ serviceName: 'test_success', maxPrice: 0.75 })).status).toBe(201);
    expect(await (await create({ serviceName: 'test_success', maxPrice: 0.74 })).json()).toMatchObject({
      errorCode: 'PricingFailure',
    });
    const notANumber = await create({ serviceName: 'discord', maxPrice: '1.00' });
    expect(notANumber.status).toBe(400);
    expect(await notANumber.json()).toMatchObject({ errorDescription: 'maxPrice must be a number.' });
  });

  it('marks test_* answers with X-Phoneblur-Mock and never charges', async () => {
    const sb = await start();
    const t = await token(sb);
    const price = await call(sb, t, 'POST', '/api/pub/v2/pricing/verifications', {
      serviceName: 'test_success',
      areaCode: false,
      carrier: false,
      numberType: 'mobile',
      capability: 'sms',
    });
    expect(price.headers.get('x-phoneblur-mock')).toBe('true');
    expect(await price.json()).toEqual({ serviceName: 'test_success', price: 0.75 });
    const created = await call(sb, t, 'POST', '/api/pub/v2/verifications', {
      serviceName: 'test_success',
      capability: 'sms',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-phoneblur-mock')).toBe('true');
    const real = await call(sb, t, 'POST', '/api/pub/v2/pricing/verifications', {
      serviceName: 'whatsapp',
      areaCode: false,
      carrier: false,
      numberType: 'mobile',
      capability: 'sms',
    });
    expect(real.headers.get('x-phoneblur-mock')).toBeNull();
    expect(sb.control.getBalance()).toBe(10_000);
    const fixed = (await (await call(sb, t, 'GET', '/api/pub/v2/verifications/mock_ver_success')).json()) as {
      state: string;
    };
    expect(fixed.state).toBe('verificationCompleted');
  });

  it('pages SMS with PaginatedData and links.next', async () => {
    const sb = await start({ pageSize: 2 });
    const t = await token(sb);
    const res = await call(sb, t, 'POST', '/api/pub/v2/verifications', {
      serviceName: 'google',
      capability: 'sms',
    });
    const id = new URL(res.headers.get('location') ?? '').pathname.split('/').pop() ?? '';
    for (let i = 0; i < 3; i++) sb.control.deliverSms(id);
    const page1 = (await (await call(sb, t, 'GET', `/api/pub/v2/sms?reservationId=${id}`)).json()) as {
      data: Array<{ smsContent: string; parsedCode: string; encrypted: boolean }>;
      hasNext: boolean;
      hasPrevious: boolean;
      count: number;
      links: { next: { href: string } | null };
    };
    expect(page1).toMatchObject({ hasNext: true, hasPrevious: false, count: 3 });
    expect(page1.data).toHaveLength(2);
    expect(page1.data[0]?.smsContent).toMatch(/^G-\d{6} is your Google verification code/);
    expect(page1.data[0]?.encrypted).toBe(false);
    const next = new URL(page1.links.next?.href ?? '');
    const page2 = (await (await call(sb, t, 'GET', `${next.pathname}${next.search}`)).json()) as typeof page1;
    expect(page2).toMatchObject({ hasNext: false, hasPrevious: true, links: { next: null } });
    expect(page2.data).toHaveLength(1);
  });

  it('exposes the control API over HTTP', async () => {
    const sb = await start();
    const t = await token(sb);
    const ctl = (method: string, path: string, body?: unknown) =>
      fetch(`${sb.url}/_control${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await ctl('PUT', '/balance', { balanceCents: 1234 })).status).toBe(204);
    expect(await (await ctl('GET', '/balance')).json()).toEqual({ balanceCents: 1234 });
    expect((await ctl('PUT', '/services/whatsapp/stock', { stock: 0 })).status).toBe(204);
    expect(
      (await call(sb, t, 'POST', '/api/pub/v2/verifications', { serviceName: 'whatsapp', capability: 'sms' }))
        .status,
    ).toBe(400);

    const created = await call(sb, t, 'POST', '/api/pub/v2/verifications', {
      serviceName: 'amazon',
      capability: 'sms',
    });
    const id = new URL(created.headers.get('location') ?? '').pathname.split('/').pop() ?? '';
    const sms = await ctl('POST', `/verifications/${id}/sms`, { text: 'Your code is 246810' });
    expect(sms.status).toBe(201);
    expect(await sms.json()).toMatchObject({ smsContent: 'Your code is 246810', parsedCode: '246810' });
    const expired = await ctl('POST', `/verifications/${id}/expire`);
    expect(((await expired.json()) as { state: string }).state).toBe('verificationCompleted'); // completed stays completed

    expect((await ctl('POST', '/faults', { path: 'area-codes', mode: 'error', count: 1 })).status).toBe(204);
    expect((await call(sb, t, 'GET', '/api/pub/v2/area-codes')).status).toBe(500);
    expect((await call(sb, t, 'GET', '/api/pub/v2/area-codes')).status).toBe(200);
    const requests = (await (await ctl('GET', '/requests')).json()) as Array<{ path: string }>;
    expect(requests.filter((r) => r.path === '/api/pub/v2/area-codes')).toHaveLength(2);
    expect(await (await ctl('GET', '/webhooks')).json()).toEqual([]);
    expect((await ctl('POST', '/tokens/expire')).status).toBe(204);
    expect((await call(sb, t, 'GET', '/api/pub/v2/account/me')).status).toBe(401);
  });

  it('closes promptly with pending timers and a hung request', async () => {
    const sb = await start({ smsDelayMs: 600_000 });
    const t = await token(sb);
    await call(sb, t, 'POST', '/api/pub/v2/verifications', { serviceName: 'tiktok', capability: 'sms' });
    sb.control.injectFault({ path: 'account/me', mode: 'hang' });
    const hung = call(sb, t, 'GET', '/api/pub/v2/account/me').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await sb.close();
    sandbox = undefined;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await hung).toBeInstanceOf(Error);
  });
});
