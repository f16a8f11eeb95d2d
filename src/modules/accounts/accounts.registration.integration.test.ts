import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { solveCaptcha } from '../../../test/support/captcha.js';
import {
  useAccountsSuite,
  testDb,
  app,
  catcher,
  nextIp,
  PASSWORD,
  inject,
  register,
  signedUp,
} from './accounts.suite.js';

useAccountsSuite();

describe('registration', () => {
  it('refuses a missing or bad captcha', async () => {
    const ip = nextIp();
    const email = `c-${randomUUID().slice(0, 8)}@example.test`;
    const missing = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      ip,
      payload: { email, password: PASSWORD },
    });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error.code).toBe('captcha_required');
    const bad = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      ip,
      payload: { email, password: PASSWORD, captcha: 'bm90LWEtc29sdXRpb24=' },
    });
    expect(bad.statusCode).toBe(403);
    // A tampered solution (derived key changed) is refused too.
    const solved = JSON.parse(Buffer.from(await solveCaptcha(app, ip), 'base64').toString()) as {
      solution: { derivedKey: string };
    };
    solved.solution.derivedKey = '00'.repeat(32);
    const tampered = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      ip: nextIp(),
      payload: { email, password: PASSWORD, captcha: Buffer.from(JSON.stringify(solved)).toString('base64') },
    });
    expect(tampered.statusCode).toBe(403);
  });

  it('refuses a replayed captcha solution', async () => {
    const captcha = await solveCaptcha(app);
    const first = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      ip: nextIp(),
      payload: { email: `r1-${randomUUID().slice(0, 6)}@example.test`, password: PASSWORD, captcha },
    });
    expect(first.statusCode).toBe(202);
    const again = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      ip: nextIp(),
      payload: { email: `r2-${randomUUID().slice(0, 6)}@example.test`, password: PASSWORD, captcha },
    });
    expect(again.statusCode).toBe(403);
  });

  it('refuses short, long and common passwords with a clear message', async () => {
    for (const [password, fragment] of [
      ['short', 'at least 8 characters'],
      ['x'.repeat(129), 'at most 128 characters'],
      ['password123', 'too common'],
      ['Iloveyou1', 'too common'],
    ] as const) {
      const response = await register(`p-${randomUUID().slice(0, 8)}@example.test`, nextIp(), password);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
      expect(response.json().error.message).toContain(fragment);
    }
  });

  it('grants one free verification credit and sends a confirmation link that works once', async () => {
    const email = `m-${randomUUID().slice(0, 8)}@example.test`;
    expect((await register(email)).statusCode).toBe(202);
    const mail = await catcher.waitForMessage((m) => m.to.includes(email));
    const token = /confirm-email\?token=([A-Za-z0-9_%-]+)/.exec(mail.text)?.[1];
    expect(token).toBeTruthy();
    const confirm = () =>
      inject({
        method: 'POST',
        url: '/api/v1/auth/email/confirm',
        payload: { token: decodeURIComponent(token!) },
      });
    const first = await confirm();
    expect(first.statusCode).toBe(200);
    expect(first.json().user.emailConfirmed).toBe(true);
    expect((await confirm()).statusCode).toBe(400);
    const rows = await testDb.database.sql.query(
      `select w.balance from wallets w join users u on u.id = w.owner_id where lower(u.email) = $1 and w.currency = 'CREDIT'`,
      [email],
    );
    expect(Number(rows.rows[0]?.balance)).toBe(1);
  });
});

describe('confirmation e-mail again', () => {
  const resend = (email: string, ip = nextIp()) =>
    inject({ method: 'POST', url: '/api/v1/auth/email/resend', ip, payload: { email } });

  it('sends a fresh link to an unconfirmed account and answers the same for any address', async () => {
    const waiting = `wait-${randomUUID().slice(0, 8)}@example.test`;
    expect((await register(waiting)).statusCode).toBe(202);
    const first = await catcher.waitForMessage((m) => m.to.includes(waiting));
    const tokenOf = (text: string) =>
      decodeURIComponent(/confirm-email\?token=([A-Za-z0-9_%-]+)/.exec(text)![1]!);
    const confirm = (token: string) =>
      inject({ method: 'POST', url: '/api/v1/auth/email/confirm', payload: { token } });
    const confirmed = await signedUp();
    const link = await catcher.waitForMessage((m) => m.to.includes(confirmed.email));
    expect((await confirm(tokenOf(link.text))).statusCode).toBe(200);
    const unknown = `nobody-${randomUUID().slice(0, 8)}@example.test`;

    const answers = [await resend(waiting), await resend(confirmed.email), await resend(unknown)];
    for (const answer of answers) expect(answer.statusCode).toBe(202);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);

    const again = await catcher.waitForMessage((m) => m.to.includes(waiting) && m.id !== first.id);
    // The new link replaces the old one.
    expect((await confirm(tokenOf(first.text))).statusCode).toBe(400);
    expect((await confirm(tokenOf(again.text))).statusCode).toBe(200);
    // The other two got nothing.
    expect(catcher.messagesTo(unknown)).toEqual([]);
    expect(catcher.messagesTo(confirmed.email).filter((m) => m.subject.includes('Confirm'))).toHaveLength(1);
  });

  it('is rate limited per address and per client address', async () => {
    const email = `rl-resend-${randomUUID().slice(0, 8)}@example.test`;
    const perAddress: number[] = [];
    for (let i = 0; i < 4; i++) perAddress.push((await resend(email)).statusCode);
    expect(perAddress).toEqual([202, 202, 202, 429]);
    const ip = nextIp();
    const perClient: number[] = [];
    for (let i = 0; i < 6; i++)
      perClient.push((await resend(`c${i}-${randomUUID().slice(0, 6)}@example.test`, ip)).statusCode);
    expect(perClient).toEqual([202, 202, 202, 202, 202, 429]);
  });
});
