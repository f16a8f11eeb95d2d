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
