// Reuse and reactivation (contract §A.2, §A.3) through the real client against the sandbox.
import { describe, expect, it } from 'vitest';
import { buy, caught, setup, useSandboxCleanup, waitFor } from './client.suite.js';

useSandboxCleanup();

describe('reuse', () => {
  it('reuses a completed number inside its window: new id, same number, charged, SMS afterwards', async () => {
    const { sandbox, client } = await setup({ reuseWindowMs: 60_000 });
    const first = await buy(client, 'discord');
    expect(first.reusableUntil).toBeNull();
    expect(first.canReactivate).toBe(false);
    expect((await caught(client.reuseVerification(first.id))).kind).toBe('not_eligible');

    sandbox.control.deliverSms(first.id, { code: '111222' });
    const completed = await client.getVerification(first.id);
    expect(completed.state).toBe('completed');
    expect(completed.reusableUntil!.getTime()).toBeGreaterThan(Date.now());
    expect(completed.canReactivate).toBe(false);

    const balance = sandbox.control.getBalance();
    const again = await client.reuseVerification(first.id);
    expect(again.id).not.toBe(first.id);
    expect(again.number).toBe(first.number);
    expect(again.state).toBe('pending');
    expect(again.endsAt.getTime()).toBeGreaterThan(Date.now());
    expect(sandbox.control.getBalance()).toBe(balance - 70);

    sandbox.control.deliverSms(again.id, { code: '333444' });
    const sms = await client.listSms({ reservationId: again.id });
    expect(sms.map((m) => m.parsedCode)).toEqual(['333444']);
    expect((await client.getVerification(again.id)).state).toBe('completed');

    // One renewal per completion: the original is no longer offered.
    const spent = await client.getVerification(first.id);
    expect(spent.reusableUntil).toBeNull();
    const refused = await caught(client.reuseVerification(first.id));
    expect(refused.kind).toBe('not_eligible');
    expect(refused.status).toBe(400);
    expect(refused.ambiguous).toBe(false);
  });

  it('after the reuse window: reuse refused, reactivation offered and works', async () => {
    const { sandbox, client } = await setup();
    const first = await buy(client, 'discord');
    sandbox.control.deliverSms(first.id);
    sandbox.control.endReuseWindow(first.id);
    const view = await client.getVerification(first.id);
    expect(view.reusableUntil).toBeNull();
    expect(view.canReactivate).toBe(true);
    expect((await caught(client.reuseVerification(first.id))).kind).toBe('not_eligible');

    const back = await client.reactivateVerification(first.id);
    expect(back.id).not.toBe(first.id);
    expect(back.number).toBe(first.number);
    expect(back.state).toBe('pending');
    expect((await client.getVerification(first.id)).canReactivate).toBe(false);
    expect((await caught(client.reactivateVerification(first.id))).kind).toBe('not_eligible');
  });

  it('the windows follow the clock: reuse, then reactivation, then neither', async () => {
    let clock = Date.parse('2026-11-25T12:00:00Z');
    const now = () => new Date(clock);
    const { sandbox, client } = await setup(
      { now, reuseWindowMs: 60_000, reactivateWindowMs: 3_600_000 },
      { now },
    );
    const first = await buy(client, 'discord');
    sandbox.control.deliverSms(first.id);
    expect((await client.getVerification(first.id)).reusableUntil?.toISOString()).toBe(
      '2026-11-25T12:01:00.000Z',
    );
    clock += 60_000;
    const later = await client.getVerification(first.id);
    expect(later.reusableUntil).toBeNull();
    expect(later.canReactivate).toBe(true);
    clock += 3_540_000;
    expect((await client.getVerification(first.id)).canReactivate).toBe(false);
    expect((await caught(client.reactivateVerification(first.id))).kind).toBe('not_eligible');

    // Canceled or timed out: never renewable.
    const canceled = await buy(client, 'discord');
    await client.cancelVerification(canceled.id);
    expect((await caught(client.reuseVerification(canceled.id))).kind).toBe('not_eligible');
    const timedOut = await buy(client, 'discord');
    sandbox.control.expire(timedOut.id);
    expect((await caught(client.reactivateVerification(timedOut.id))).kind).toBe('not_eligible');
  });

  it('refuses when the account cannot pay, and for unknown ids', async () => {
    const { sandbox, client } = await setup();
    const first = await buy(client, 'discord');
    sandbox.control.deliverSms(first.id);
    sandbox.control.setBalance(10);
    expect((await caught(client.reuseVerification(first.id))).kind).toBe('insufficient_balance');
    expect((await caught(client.reuseVerification('ver_nope'))).kind).toBe('not_found');
  });

  it('a pending verification cannot be renewed', async () => {
    const { client } = await setup();
    const first = await buy(client, 'discord');
    expect((await caught(client.reactivateVerification(first.id))).kind).toBe('not_eligible');
  });
});

describe('test mode', () => {
  it('test_success is reusable for 30 s; the reuse gets the code 123456 afterwards, free', async () => {
    let clock = Date.parse('2026-11-25T12:00:00Z');
    const now = () => new Date(clock);
    const { sandbox, client } = await setup({ now, smsDelayMs: 20 }, { now });
    const balance = sandbox.control.getBalance();
    const mock = await buy(client, 'test_success');
    expect(mock.state).toBe('completed');
    expect(mock.reusableUntil!.toISOString()).toBe('2026-11-25T12:00:30.000Z');

    const reused = await client.reuseVerification(mock.id);
    expect(reused.id).toMatch(/^mock_ver_/);
    expect(reused.number).toBe(mock.number);
    const sms = await waitFor(() => sandbox.control.verification(reused.id)?.sms[0]);
    expect(sms.parsedCode).toBe('123456');
    expect(sandbox.control.getBalance()).toBe(balance);

    const late = await buy(client, 'test_success');
    clock += 31_000;
    expect((await caught(client.reuseVerification(late.id))).kind).toBe('not_eligible');
  });

  it('test_reactivatable refuses reuse and reactivates; the fixed ids answer without changing', async () => {
    const { client } = await setup();
    const mock = await buy(client, 'test_reactivatable');
    expect(mock.canReactivate).toBe(true);
    expect((await caught(client.reuseVerification(mock.id))).kind).toBe('not_eligible');
    expect((await client.reactivateVerification(mock.id)).number).toBe(mock.number);

    const fixed = await client.reactivateVerification('mock_ver_reactivatable');
    expect(fixed.state).toBe('pending');
    expect((await client.getVerification('mock_ver_reactivatable')).canReactivate).toBe(true);
    expect((await caught(client.reactivateVerification('mock_ver_timeout'))).kind).toBe('not_eligible');
  });
});
