// The 5sim sandbox over raw HTTP (no client): the wire it speaks (§B) and its control API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FiveSimSandbox, startFiveSimSandbox } from './index.js';

let sandbox: FiveSimSandbox;
const KEY = 'eyJ.sandbox.test';

beforeAll(async () => {
  sandbox = await startFiveSimSandbox({ apiKey: KEY, smsDelayMs: 60_000, orderTtlMs: 60_000 });
});
afterAll(async () => {
  await sandbox.close();
});

const get = (path: string, auth = true) =>
  fetch(`${sandbox.url}${path}`, { headers: auth ? { Authorization: `Bearer ${KEY}` } : {} });
const control = (method: string, path: string, body?: unknown) =>
  fetch(`${sandbox.url}/_control${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('5sim sandbox wire', () => {
  it('user endpoints need the bearer key; guest endpoints do not', async () => {
    expect((await get('/v1/user/profile', false)).status).toBe(401);
    expect((await get('/v1/user/profile')).status).toBe(200);
    const prices = await (await get('/v1/guest/prices?country=usa&product=whatsapp', false)).json();
    expect(Object.keys(prices.usa.whatsapp)).toEqual(['virtual21', 'virtual4', 'virtual58']);
    expect(prices.usa.whatsapp.virtual21).toMatchObject({ cost: 0.9, count: 200 });
    expect(await (await get('/v1/guest/prices?country=usa&product=nothing', false)).json()).toBeNull();
  });

  it('buys, shows the SMS delivered by the control API, refuses with plain-text strings', async () => {
    const bought = await get('/v1/user/buy/activation/usa/any/telegram');
    expect(bought.status).toBe(200);
    const order = await bought.json();
    expect(order).toMatchObject({ product: 'telegram', status: 'RECEIVED', sms: null, country: 'usa' });
    expect(typeof order.id).toBe('number');
    expect(order.phone).toMatch(/^\+1\d{10}$/);

    const sms = await control('POST', `/orders/${order.id}/sms`, { code: '112233' });
    expect(sms.status).toBe(201);
    const checked = await (await get(`/v1/user/check/${order.id}`)).json();
    expect(checked.sms).toHaveLength(1);
    expect(checked.sms[0]).toMatchObject({ code: '112233', sender: 'telegram' });
    const refused = await get(`/v1/user/cancel/${order.id}`);
    expect([refused.status, await refused.text()]).toEqual([400, 'order has sms']);
    expect((await get('/v1/user/buy/activation/mars/any/telegram')).status).toBe(400);
    expect(await (await get('/v1/user/buy/activation/mars/any/telegram')).text()).toBe('bad country');
  });

  it('order ids keep growing across a restart, as the embedded default restarts on the same database', async () => {
    const buy = async (box: FiveSimSandbox) => {
      const response = await fetch(`${box.url}/v1/user/buy/activation/usa/any/telegram`, {
        headers: { Authorization: `Bearer ${KEY}` },
      });
      return ((await response.json()) as { id: number }).id;
    };
    const first = await startFiveSimSandbox({ apiKey: KEY, smsDelayMs: 60_000, orderTtlMs: 60_000 });
    const before = [await buy(first), await buy(first)];
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 2));
    const again = await startFiveSimSandbox({ apiKey: KEY, smsDelayMs: 60_000, orderTtlMs: 60_000 });
    try {
      const after = await buy(again);
      expect(after).toBeGreaterThan(Math.max(...before));
      expect(Number.isSafeInteger(after)).toBe(true);
    } finally {
      await again.close();
    }
  });

  it('control: stock and price per operator, balance, latency, faults, the request log', async () => {
    expect((await control('PUT', '/products/google', { count: 0 })).status).toBe(204);
    const none = await get('/v1/user/buy/activation/usa/any/google');
    expect([none.status, await none.text()]).toEqual([200, 'no free phones']);
    await control('PUT', '/products/google', { count: 3, priceCents: 42, operator: 'virtual4' });
    const order = await (await get('/v1/user/buy/activation/usa/any/google')).json();
    expect(order).toMatchObject({ operator: 'virtual4', price: 0.42 });
    await control('PUT', '/balance', { balanceCents: 10 });
    const poor = await get('/v1/user/buy/activation/usa/any/google');
    expect(await poor.text()).toBe('not enough user balance');
    expect(await (await control('GET', '/balance')).json()).toEqual({ balanceCents: 10 });
    await control('PUT', '/balance', { balanceCents: 100_000 });

    await control('POST', '/faults', { path: '/v1/user/profile', mode: 'garbage' });
    const garbage = await get('/v1/user/profile');
    expect(garbage.status).toBe(200);
    expect((await garbage.text()).startsWith('<html>')).toBe(true);
    await control('POST', '/faults', { path: '/v1/user/profile', mode: 'offline' });
    expect(await (await get('/v1/user/profile')).text()).toBe('server offline');
    expect((await control('POST', '/faults', { path: '/v1/x', mode: 'nonsense' })).status).toBe(400);

    await control('PUT', '/buy-latency', { ms: 300 });
    const started = Date.now();
    await get('/v1/user/buy/activation/usa/any/uber');
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await control('PUT', '/buy-latency', { ms: 0 });

    const log = (await (await control('GET', '/requests')).json()) as { path: string; authorized: boolean }[];
    expect(log.some((r) => r.path === '/v1/user/buy/activation/usa/any/uber' && r.authorized)).toBe(true);
  });

  it('the window: an order without SMS times out and is refunded', async () => {
    const before = sandbox.control.getBalance();
    const order = await (await get('/v1/user/buy/activation/usa/any/discord')).json();
    expect(sandbox.control.getBalance()).toBe(before - Math.round(order.price * 100));
    const expired = await (await control('POST', `/orders/${order.id}/expire`)).json();
    expect(expired.status).toBe('TIMEOUT');
    expect(sandbox.control.getBalance()).toBe(before);
  });
});

describe('5sim sandbox reuse', () => {
  it('re-sells a finished number bought with reuse=1 within its window, at the current price', async () => {
    let skewMs = 0;
    const own = await startFiveSimSandbox({
      apiKey: KEY,
      smsDelayMs: 60_000,
      reuseWindowMs: 10 * 60_000,
      now: () => new Date(Date.now() + skewMs),
    });
    try {
      const call = async (path: string) => {
        const response = await fetch(`${own.url}${path}`, { headers: { Authorization: `Bearer ${KEY}` } });
        const text = await response.text();
        return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
      };
      const plain = (await call('/v1/user/buy/activation/usa/any/uber')).json();
      const first = (await call('/v1/user/buy/activation/usa/any/telegram?reuse=1')).json();
      const digits = (phone: unknown) => String(phone).slice(1);
      // Still waiting for its SMS: the number is held by the order.
      expect((await call(`/v1/user/reuse/telegram/${digits(first.phone)}`)).text).toBe('reuse not possible');
      own.control.deliverSms(first.id as number, { code: '111111' });
      own.control.deliverSms(plain.id as number, { code: '222222' });
      // Received but not finished yet: still the order's.
      expect((await call(`/v1/user/reuse/telegram/${digits(first.phone)}`)).text).toBe('reuse not possible');
      await call(`/v1/user/finish/${String(first.id)}`);
      await call(`/v1/user/finish/${String(plain.id)}`);
      // Not bought with reuse=1; another product; not ours; not a number.
      expect((await call(`/v1/user/reuse/uber/${digits(plain.phone)}`)).text).toBe('reuse false');
      expect((await call(`/v1/user/reuse/uber/${digits(first.phone)}`)).text).toBe('reuse not possible');
      expect((await call('/v1/user/reuse/telegram/15550000000')).text).toBe('reuse not possible');
      expect((await call('/v1/user/reuse/telegram/12')).status).toBe(400);

      own.control.setPrice('telegram', 77, { operator: String(first.operator) });
      const balance = own.control.getBalance();
      const again = await call(`/v1/user/reuse/telegram/${digits(first.phone)}`);
      expect(again.status).toBe(200);
      const reused = again.json();
      expect(reused).toMatchObject({ phone: first.phone, operator: first.operator, price: 0.77 });
      expect(reused.status).toBe('RECEIVED');
      expect(reused.sms).toBeNull();
      expect(reused.id).not.toBe(first.id);
      expect(own.control.getBalance()).toBe(balance - 77);
      // The number moved on: the open reuse holds it.
      expect((await call(`/v1/user/reuse/telegram/${digits(first.phone)}`)).text).toBe('reuse not possible');

      // A reuse is reusable in turn; past the window of its first SMS it is expired.
      own.control.deliverSms(reused.id as number, { code: '333333' });
      await call(`/v1/user/finish/${String(reused.id)}`);
      skewMs = 10 * 60_000;
      expect((await call(`/v1/user/reuse/telegram/${digits(first.phone)}`)).text).toBe('reuse expired');
      skewMs = 0;
      own.control.setBalance(10);
      expect((await call(`/v1/user/reuse/telegram/${digits(first.phone)}`)).text).toBe(
        'not enough user balance',
      );
      own.control.setBalance(10_000);
      const third = (await call(`/v1/user/reuse/telegram/${digits(first.phone)}`)).json();
      expect(third.phone).toBe(first.phone);
      // The control API ends a window at once.
      own.control.deliverSms(third.id as number);
      await call(`/v1/user/finish/${String(third.id)}`);
      expect((await controlAt(own.url, 'POST', `/orders/${String(third.id)}/end-reuse-window`)).status).toBe(
        200,
      );
      expect((await call(`/v1/user/reuse/telegram/${digits(first.phone)}`)).text).toBe('reuse expired');
    } finally {
      await own.close();
    }
  });
});

const controlAt = (base: string, method: string, path: string) =>
  fetch(`${base}/_control${path}`, { method });
