// The real 5sim client against a started 5sim sandbox, end to end over HTTP: purchases, SMS,
// cancel/ban/finish, prices and balance, and every documented refusal mapped to its typed error.
import { afterEach, describe, expect, it } from 'vitest';
import { type FiveSimSandbox, startFiveSimSandbox } from '../../sandbox/fivesim/index.js';
import { type FiveSimClient, type FiveSimClientOptions, createFiveSimClient } from './client.js';
import { FiveSimError } from './errors.js';

const API_KEY = 'eyJ.fivesim.test';
const open: FiveSimSandbox[] = [];

async function setup(
  clientOpts: Partial<FiveSimClientOptions> = {},
  sandboxOpts: { noFreePhonesStatus?: number; hangMs?: number; reuseWindowMs?: number } = {},
): Promise<{ sandbox: FiveSimSandbox; client: FiveSimClient }> {
  const sandbox = await startFiveSimSandbox({ apiKey: API_KEY, smsDelayMs: 60_000, ...sandboxOpts });
  open.push(sandbox);
  const client = createFiveSimClient({
    baseUrl: sandbox.url,
    apiKey: API_KEY,
    timeoutMs: 1_000,
    retry: { retries: 2, initialDelayMs: 5, maxDelayMs: 10 },
    ...clientOpts,
  });
  return { sandbox, client };
}

async function caught(work: Promise<unknown>): Promise<FiveSimError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FiveSimError);
  return error as FiveSimError;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('5sim client against its sandbox', () => {
  it('buys the cheapest operator within maxPrice, reads the SMS, finishes', async () => {
    const { sandbox, client } = await setup();
    sandbox.control.setPrice('whatsapp', 120, { operator: 'virtual4' });
    sandbox.control.setPrice('whatsapp', 80, { operator: 'virtual21' });
    const order = await client.buyActivation({ country: 'usa', product: 'whatsapp', maxPriceCents: 100 });
    expect(order).toMatchObject({ operator: 'virtual21', priceCents: 80, status: 'received', sms: [] });
    expect(order.phone).toMatch(/^\+1\d{10}$/);
    expect(order.expiresAt.getTime() - order.createdAt.getTime()).toBe(15 * 60_000);
    expect(await client.getBalance()).toBe(10_000 - 80);
    const last = sandbox.control.requests().find((r) => r.path.includes('/buy/'))!;
    expect(last.path).toBe('/v1/user/buy/activation/usa/any/whatsapp');
    expect(last.url).toContain('maxPrice=1');
    expect(last.authorized).toBe(true);

    sandbox.control.deliverSms(order.id, { code: '482913' });
    const checked = await client.checkOrder(order.id);
    expect(checked.status).toBe('received'); // "waiting for SMS" — the SMS list says it came
    expect(checked.sms).toHaveLength(1);
    expect(checked.sms[0]).toMatchObject({ code: '482913' });
    expect(checked.sms[0]!.text).toContain('482913');
    expect((await client.finishOrder(order.id)).status).toBe('finished');
  });

  it('cancels before an SMS (refunded) and refuses after one (order has sms); bans', async () => {
    const { sandbox, client } = await setup();
    const a = await client.buyActivation({ country: 'usa', product: 'telegram' });
    expect((await client.cancelOrder(a.id)).status).toBe('canceled');
    expect(await client.getBalance()).toBe(10_000);
    const b = await client.buyActivation({ country: 'usa', product: 'telegram' });
    sandbox.control.deliverSms(b.id);
    expect((await caught(client.cancelOrder(b.id))).kind).toBe('order_has_sms');
    const c = await client.buyActivation({ country: 'usa', product: 'telegram' });
    expect((await client.banOrder(c.id)).status).toBe('banned');
    expect((await caught(client.checkOrder('999'))).kind).toBe('not_found');
  });

  it('lists the account’s activation orders, newest first, from the PascalCase wrapper', async () => {
    const { client } = await setup();
    const first = await client.buyActivation({ country: 'usa', product: 'uber' });
    const second = await client.buyActivation({ country: 'usa', product: 'amazon' });
    const listed = await client.listOrders();
    expect(listed.map((o) => o.id)).toEqual([second.id, first.id]);
    expect(listed[1]).toMatchObject({ product: 'uber', status: 'received', phone: first.phone });
  });

  it('maps the documented refusals to typed errors, with 200 or 400', async () => {
    for (const noFreePhonesStatus of [200, 400]) {
      const { sandbox, client } = await setup({}, { noFreePhonesStatus });
      sandbox.control.setStock('whatsapp', 0);
      const none = await caught(client.buyActivation({ country: 'usa', product: 'whatsapp' }));
      expect(none).toMatchObject({ kind: 'unavailable', providerText: 'no free phones', ambiguous: false });
      sandbox.control.setStock('whatsapp', 5);
      const tooCheap = await caught(
        client.buyActivation({ country: 'usa', product: 'whatsapp', maxPriceCents: 1 }),
      );
      expect(tooCheap.kind).toBe('unavailable');
      sandbox.control.setBalance(10);
      const poor = await caught(client.buyActivation({ country: 'usa', product: 'whatsapp' }));
      expect(poor).toMatchObject({ kind: 'insufficient_balance', ambiguous: false });
      expect((await caught(client.buyActivation({ country: 'mars', product: 'x' }))).kind).toBe(
        'bad_request',
      );
    }
    const { sandbox } = await setup();
    const stranger = createFiveSimClient({ baseUrl: sandbox.url, apiKey: 'wrong', timeoutMs: 1_000 });
    expect((await caught(stranger.getBalance())).kind).toBe('unauthorized');
    expect(await stranger.prices({ country: 'usa', product: 'whatsapp' })).toHaveLength(3); // guest
  });

  it('buys with reuse=1 on request, and reuses a finished number: a new order, same number', async () => {
    const { sandbox, client } = await setup();
    expect(client.reuseWindowMs).toBe(15 * 60_000);
    const order = await client.buyActivation({ country: 'usa', product: 'telegram', reuse: true });
    expect(sandbox.control.requests().at(-1)!.url).toContain('reuse=1');
    sandbox.control.deliverSms(order.id, { code: '101010' });
    await client.finishOrder(order.id);
    const balance = await client.getBalance();
    sandbox.control.clearRequests();
    const reused = await client.reuse('telegram', order.phone);
    expect(reused).toMatchObject({ phone: order.phone, product: 'telegram', status: 'received', sms: [] });
    expect(reused.id).not.toBe(order.id);
    expect(await client.getBalance()).toBe(balance - reused.priceCents);
    // The E.164 number goes as its digits, without the plus (§B.2).
    expect(sandbox.control.requests()[0]!.path).toBe(`/v1/user/reuse/telegram/${order.phone.slice(1)}`);
  });

  it('maps the reuse refusals to not_eligible; a bad number is refused before sending', async () => {
    const { sandbox, client } = await setup(
      { circuitBreaker: { consecutiveFailures: 100 } },
      { hangMs: 5_000 },
    );
    const plain = await client.buyActivation({ country: 'usa', product: 'telegram' });
    const reusable = await client.buyActivation({ country: 'usa', product: 'uber', reuse: true });
    for (const o of [plain, reusable]) {
      sandbox.control.deliverSms(o.id);
      await client.finishOrder(o.id);
    }
    expect(await caught(client.reuse('telegram', plain.phone))).toMatchObject({
      kind: 'not_eligible',
      providerText: 'reuse false',
      ambiguous: false,
    });
    expect(await caught(client.reuse('telegram', '+15550001111'))).toMatchObject({
      kind: 'not_eligible',
      providerText: 'reuse not possible',
    });
    sandbox.control.endReuseWindow(reusable.id);
    expect(await caught(client.reuse('uber', reusable.phone))).toMatchObject({
      kind: 'not_eligible',
      providerText: 'reuse expired',
    });
    sandbox.control.clearRequests();
    for (const bad of ['+123', 'abc', '+1234567890123456']) {
      expect((await caught(client.reuse('uber', bad))).kind).toBe('bad_request');
    }
    expect(sandbox.control.requests()).toHaveLength(0);

    // Refusals shared with a purchase keep their kinds; a lost answer may have bought.
    const other = await client.buyActivation({ country: 'usa', product: 'amazon', reuse: true });
    sandbox.control.deliverSms(other.id);
    await client.finishOrder(other.id);
    sandbox.control.setBalance(0);
    expect((await caught(client.reuse('amazon', other.phone))).kind).toBe('insufficient_balance');
    sandbox.control.setBalance(10_000);
    sandbox.control.injectFault({ path: '/v1/user/reuse/', mode: 'hang', afterEffect: true });
    expect(await caught(client.reuse('amazon', other.phone))).toMatchObject({
      kind: 'timeout',
      ambiguous: true,
    });
    const listed = await client.listOrders();
    expect(listed[0]).toMatchObject({ phone: other.phone, product: 'amazon', status: 'received' });
  });

  it('prices per operator, cheapest first; an unknown pair is empty', async () => {
    const { sandbox, client } = await setup();
    sandbox.control.setStock('google', 0, { operator: 'virtual58' });
    const offers = await client.prices({ country: 'usa', product: 'google' });
    expect(offers.map((o) => o.priceCents)).toEqual(
      [...offers.map((o) => o.priceCents)].sort((a, b) => a - b),
    );
    expect(offers.find((o) => o.operator === 'virtual58')?.count).toBe(0);
    expect(await client.prices({ country: 'usa', product: 'nothing' })).toEqual([]);
  });

  it('a lost buy answer is ambiguous; a garbage 200 on a buy is ambiguous; reads retry', async () => {
    const { sandbox, client } = await setup(
      { circuitBreaker: { consecutiveFailures: 100 } },
      { hangMs: 5_000 },
    );
    sandbox.control.injectFault({ path: '/v1/user/buy/', mode: 'hang', afterEffect: true });
    const lost = await caught(client.buyActivation({ country: 'usa', product: 'whatsapp' }));
    expect(lost).toMatchObject({ kind: 'timeout', ambiguous: true });
    sandbox.control.injectFault({ path: '/v1/user/buy/', mode: 'garbage', afterEffect: true });
    expect(await caught(client.buyActivation({ country: 'usa', product: 'whatsapp' }))).toMatchObject({
      kind: 'server_error',
      ambiguous: true,
    });
    sandbox.control.injectFault({ path: '/v1/user/buy/', mode: 'offline' });
    expect(await caught(client.buyActivation({ country: 'usa', product: 'whatsapp' }))).toMatchObject({
      kind: 'server_error',
      ambiguous: false,
    });
    // A read through two 500s comes back on the third attempt.
    sandbox.control.injectFault({ path: '/v1/user/profile', mode: 'error', count: 2 });
    expect(await client.getBalance()).toBeGreaterThan(0);
  });

  it('the breaker opens after consecutive failures and then fails fast without a request', async () => {
    const { sandbox, client } = await setup({
      retry: { retries: 0 },
      circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 },
    });
    sandbox.control.injectFault({ path: '/v1/user/buy/', mode: 'error', count: 2 });
    for (let i = 0; i < 2; i++) await caught(client.buyActivation({ country: 'usa', product: 'whatsapp' }));
    expect(client.circuitState()).toBe('open');
    const before = sandbox.control.requests().length;
    const started = Date.now();
    const refused = await caught(client.buyActivation({ country: 'usa', product: 'whatsapp' }));
    expect(refused).toMatchObject({ circuitOpen: true, ambiguous: false });
    expect(Date.now() - started).toBeLessThan(100);
    expect(sandbox.control.requests()).toHaveLength(before);
  });
});
