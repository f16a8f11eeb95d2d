import { describe, expect, it } from 'vitest';
import { useSandboxCleanup, setup, count, caught, waitFor, buy } from './client.suite.js';

useSandboxCleanup();

describe('auth', () => {
  it('authenticates once for many concurrent calls and reuses the token', async () => {
    const { sandbox, client } = await setup();
    await Promise.all([
      client.listAreaCodes(),
      client.getBalance(),
      client.listServices(),
      client.getBalance(),
    ]);
    await client.listAreaCodes();
    expect(count(sandbox, 'POST', '/api/pub/v2/auth')).toBe(1);
  });

  it('re-authenticates shortly before the token expires', async () => {
    let clock = Date.parse('2026-11-25T12:00:00Z');
    const now = () => new Date(clock);
    const { sandbox, client } = await setup({ now, tokenTtlMs: 900_000 }, { now });
    await client.getBalance();
    clock += 800_000; // 100 s left: still outside the 60 s margin
    await client.getBalance();
    expect(count(sandbox, 'POST', '/api/pub/v2/auth')).toBe(1);
    clock += 50_000; // 50 s left: refresh
    await client.getBalance();
    expect(count(sandbox, 'POST', '/api/pub/v2/auth')).toBe(2);
  });

  it('re-authenticates once on a 401 and repeats the call', async () => {
    const { sandbox, client } = await setup();
    await client.getBalance();
    sandbox.control.expireTokens();
    expect(await client.getBalance()).toBe(10_000);
    expect(count(sandbox, 'POST', '/api/pub/v2/auth')).toBe(2);
    expect(count(sandbox, 'GET', '/api/pub/v2/account/me')).toBe(3);
  });

  it('reports bad credentials as unauthorized', async () => {
    const { client } = await setup({}, { apiKey: 'wrong' });
    const error = await caught(client.getBalance());
    expect(error.kind).toBe('unauthorized');
    expect(error.status).toBe(401);
  });
});

describe('catalogue', () => {
  it('lists services, area codes, prices in cents and inventory', async () => {
    const { client } = await setup();
    const services = await client.listServices({ numberType: 'mobile', reservationType: 'verification' });
    expect(services.length).toBeGreaterThanOrEqual(45);
    expect(services).toContainEqual({
      serviceName: 'whatsapp',
      displayName: 'WhatsApp',
      capability: 'smsAndVoiceCombo',
    });
    const areaCodes = await client.listAreaCodes();
    expect(areaCodes).toContainEqual({ areaCode: '205', state: 'Alabama' });
    expect(await client.priceVerification({ serviceName: 'whatsapp' })).toEqual({
      serviceName: 'whatsapp',
      priceCents: 95,
    });
    expect(
      (await client.priceVerification({ serviceName: 'whatsapp', areaCode: true, carrier: true })).priceCents,
    ).toBe(115);
    expect(await client.inventory({ serviceName: 'whatsapp' })).toBe(250);
    expect(await client.inventory({ serviceName: 'yikyak' })).toBe(0);
    const error = await caught(client.priceVerification({ serviceName: 'nosuchservice' }));
    expect(error.kind).toBe('bad_request');
  });
});

describe('verifications', () => {
  it('buys a number, receives the SMS and lists it with its parsed code', async () => {
    const { sandbox, client } = await setup();
    const v = await buy(client);
    expect(v).toMatchObject({
      serviceName: 'whatsapp',
      state: 'pending',
      totalCostCents: 95,
      canCancel: true,
    });
    expect(v.number).toMatch(/^\d{10}$/);
    expect(v.e164).toBe(`+1${v.number}`);
    expect(v.endsAt.getTime() - v.createdAt.getTime()).toBe(15 * 60_000);
    expect(await client.getBalance()).toBe(10_000 - 95);

    sandbox.control.deliverSms(v.id, {
      code: '123456',
      text: "Your WhatsApp code is 123-456. Don't share this code with others",
    });
    const after = await client.getVerification(v.id);
    expect(after).toMatchObject({ state: 'completed', canCancel: false });
    const sms = await client.listSms({ reservationId: v.id });
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({
      to: v.number,
      parsedCode: '123456',
      text: expect.stringContaining('123-456'),
    });
  });

  it('delivers a realistic SMS by itself after smsDelayMs', async () => {
    const { sandbox, client } = await setup({ smsDelayMs: 30 });
    const v = await buy(client, 'telegram');
    await waitFor(() => sandbox.control.verification(v.id)?.state === 'verificationCompleted');
    const list = await client.listSms({ reservationId: v.id });
    expect(list).toHaveLength(1);
    expect(list[0]?.text).toMatch(/^Telegram code: \d{5}/);
    expect(list[0]?.parsedCode).toMatch(/^\d{5}$/);
    expect((await client.getVerification(v.id)).state).toBe('completed');
  });

  it('follows links.next through every page of SMS', async () => {
    const { sandbox, client } = await setup({ pageSize: 2 });
    const v = await buy(client);
    for (let i = 0; i < 5; i++) sandbox.control.deliverSms(v.id, { code: `10000${i}` });
    const sms = await client.listSms({ reservationId: v.id });
    expect(sms.map((m) => m.parsedCode)).toEqual(['100000', '100001', '100002', '100003', '100004']);
    expect(count(sandbox, 'GET', '/api/pub/v2/sms')).toBe(3);
  });

  it('lists every verification across pages', async () => {
    const { client } = await setup({ pageSize: 2 });
    const bought = [await buy(client), await buy(client, 'google'), await buy(client, 'uber')];
    const all = await client.listVerifications();
    for (const v of bought)
      expect(all).toContainEqual(
        expect.objectContaining({ id: v.id, state: 'pending', totalCostCents: v.totalCostCents }),
      );
    expect(all.map((v) => v.id).sort()).toEqual(bought.map((v) => v.id).sort());
  });

  it('cancels before an SMS (refunded) and refuses to cancel after one', async () => {
    const { sandbox, client } = await setup();
    const first = await buy(client);
    await client.cancelVerification(first.id);
    expect((await client.getVerification(first.id)).state).toBe('canceled');
    expect(await client.getBalance()).toBe(10_000);

    const second = await buy(client);
    sandbox.control.deliverSms(second.id);
    const error = await caught(client.cancelVerification(second.id));
    expect(error).toMatchObject({ kind: 'bad_request', status: 400, ambiguous: false });
    expect((await client.getVerification(second.id)).state).toBe('completed');
  });

  it('reports a number (refunded when no code came)', async () => {
    const { client } = await setup();
    const v = await buy(client);
    await client.reportVerification(v.id);
    expect((await client.getVerification(v.id)).state).toBe('reported');
    expect(await client.getBalance()).toBe(10_000);
  });

  it('times out at endsAt and refunds', async () => {
    const { client } = await setup({ verificationTtlMs: 100 });
    const v = await buy(client);
    await new Promise((r) => setTimeout(r, 200));
    const after = await client.getVerification(v.id);
    expect(after).toMatchObject({ state: 'timed_out', canCancel: false });
    expect(await client.getBalance()).toBe(10_000);
  });

  it('times out by the injected clock too, and on command', async () => {
    let clock = Date.parse('2026-11-25T12:00:00Z');
    const now = () => new Date(clock);
    const { sandbox, client } = await setup({ now }, { now });
    const a = await buy(client);
    const b = await buy(client);
    clock = a.endsAt.getTime();
    expect((await client.getVerification(a.id)).state).toBe('timed_out');
    clock += 1;
    expect(sandbox.control.expire(b.id).state).toBe('verificationTimedOut');
  });

  it('maps provider refusals to typed errors', async () => {
    const { sandbox, client } = await setup();
    sandbox.control.setStock('whatsapp', 0);
    expect((await caught(buy(client))).kind).toBe('unavailable');
    expect((await caught(buy(client, 'yikyak'))).kind).toBe('unavailable');

    sandbox.control.setBalance(50);
    expect(await caught(buy(client, 'telegram'))).toMatchObject({
      kind: 'insufficient_balance',
      errorCode: 'InsufficientBalance',
      ambiguous: false,
    });

    sandbox.control.setBalance(10_000);
    const tooCheap = client.createVerification(
      { serviceName: 'telegram', capability: 'sms', maxPriceCents: 50 },
      { idempotencyKey: 'cheap' },
    );
    expect((await caught(tooCheap)).kind).toBe('pricing_failure');
    expect((await caught(client.getVerification('ver_missing'))).kind).toBe('not_found');
    expect(await client.getBalance()).toBe(10_000);
  });

  it('refuses too many unfinished verifications, and counts a slot free once its order finishes', async () => {
    let clock = Date.parse('2026-11-25T12:00:00Z');
    const now = () => new Date(clock);
    const { sandbox, client } = await setup({ maxUnfinished: 2, now, verificationTtlMs: 60_000 }, { now });
    const first = await buy(client);
    clock += 1_000;
    const second = await buy(client);
    expect((await caught(buy(client))).kind).toBe('too_many_unfinished');
    // A code ends the first: its slot is free.
    sandbox.control.deliverSms(first.id);
    const third = await buy(client);
    expect((await caught(buy(client))).kind).toBe('too_many_unfinished');
    await client.cancelVerification(third.id);
    clock += 5_000;
    await buy(client);
    // The second's window passes (nobody asked about it): timed out, its slot free too.
    clock = second.createdAt.getTime() + 60_001;
    await buy(client);
    expect((await caught(buy(client))).kind).toBe('too_many_unfinished');
  });
});

describe('test_* scenarios', () => {
  it('behaves like the real server test mode', async () => {
    const { client } = await setup();
    const success = await buy(client, 'test_success');
    expect(success).toMatchObject({ state: 'completed', totalCostCents: 75 });
    expect(success.id).toMatch(/^mock_ver_/);
    expect((await client.listSms({ reservationId: success.id }))[0]?.parsedCode).toBe('123456');
    expect((await buy(client, 'test_pending')).state).toBe('pending');
    expect((await buy(client, 'test_timeout')).state).toBe('timed_out');
    expect((await buy(client, 'test_delayed_success')).id).toMatch(/^mock_ver_delay_/);
    expect((await caught(buy(client, 'test_no_numbers'))).kind).toBe('unavailable');
    expect((await caught(buy(client, 'test_insufficient_balance'))).kind).toBe('insufficient_balance');
    expect((await caught(buy(client, 'test_too_many_unfinished_verifications'))).kind).toBe(
      'too_many_unfinished',
    );
    const capped = client.createVerification(
      { serviceName: 'test_success', capability: 'sms', maxPriceCents: 74 },
      { idempotencyKey: 'x' },
    );
    expect((await caught(capped)).kind).toBe('pricing_failure');
    expect((await client.getVerification('mock_ver_pending')).state).toBe('pending');
    expect(await client.getBalance()).toBe(10_000); // test mode never charges
  });
});
