import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { solveCaptcha } from '../../../test/support/captcha.js';
import {
  useAccountsSuite,
  testDb,
  redis,
  app,
  catcher,
  nextIp,
  PASSWORD,
  inject,
  login,
  signedUp,
  bearer,
} from './accounts.suite.js';

useAccountsSuite();

describe('password change', () => {
  const change = (token: string, payload: object, ip = nextIp()) =>
    inject({ method: 'POST', url: '/api/v1/auth/password/change', ip, headers: bearer(token), payload });
  const NEW_PASSWORD = 'a fresh and long passphrase 7';

  it('needs the current password and an acceptable new one', async () => {
    const user = await signedUp();
    const wrong = await change(user.accessToken, {
      currentPassword: 'not the password at all',
      newPassword: NEW_PASSWORD,
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('invalid_credentials');
    for (const [newPassword, fragment] of [
      ['short', 'at least 8 characters'],
      ['password123', 'too common'],
      [PASSWORD, 'must differ'],
    ] as const) {
      const weak = await change(user.accessToken, { currentPassword: PASSWORD, newPassword });
      expect(weak.statusCode).toBe(400);
      expect(weak.json().error.code).toBe('validation_failed');
      expect(weak.json().error.message).toContain(fragment);
    }
    // Nothing changed: the old password still signs in, the session still works.
    expect((await login(user.email)).statusCode).toBe(200);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) })).statusCode,
    ).toBe(200);
  });

  it('refuses control characters in a new password (a NUL or a line break cannot be typed back)', async () => {
    const user = await signedUp();
    for (const newPassword of ['abc\u0007defghij', 'two\nlines of it', 'esc\u001b[0mape']) {
      const refused = await change(user.accessToken, { currentPassword: PASSWORD, newPassword });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.message).toContain('control characters');
    }
    // Spaces and any other Unicode stay welcome.
    const changed = await change(user.accessToken, {
      currentPassword: PASSWORD,
      newPassword: 'ünïcode pass phrase ✓',
    });
    expect(changed.statusCode, changed.body).toBe(200);
  });

  it('changes the password, signs every other session out, keeps this one and sends a notice', async () => {
    const user = await signedUp();
    const other = (await login(user.email)).json<{ accessToken: string; refreshToken: string }>();
    catcher.clear();
    const changed = await change(user.accessToken, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().sessionsRevoked).toBe(1);

    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(other.accessToken) })).statusCode,
    ).toBe(401);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: other.refreshToken },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) })).statusCode,
    ).toBe(200);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: user.refreshToken },
        })
      ).statusCode,
    ).toBe(200);

    expect((await login(user.email)).statusCode).toBe(401);
    expect((await login(user.email, {}, nextIp(), NEW_PASSWORD)).statusCode).toBe(200);

    const mail = await catcher.waitForMessage(
      (m) => m.to.includes(user.email) && m.subject.includes('Security notice'),
    );
    expect(mail.text).toContain('Your password was changed.');
    const audit = await testDb.database.sql.query(
      `select action from audit_log where actor_id = $1 and action = 'password.changed'`,
      [user.userId],
    );
    expect(audit.rows).toHaveLength(1);
  });

  it('is for signed-in people only, not API keys', async () => {
    const user = await signedUp();
    await app.services.accounts.setUserTier(user.userId, 'payg');
    const key = (
      await inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: bearer(user.accessToken),
        payload: { name: 'k', scopes: ['account:read'] },
      })
    ).json<{ key: string }>().key;
    const byKey = await change(key, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(byKey.statusCode).toBe(403);
    const anonymous = await inject({
      method: 'POST',
      url: '/api/v1/auth/password/change',
      payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('password change with two-factor authentication on', () => {
  it('also needs a fresh authenticator code', async () => {
    const user = await signedUp();
    const { secret } = (
      await inject({ method: 'POST', url: '/api/v1/mfa/totp', headers: bearer(user.accessToken) })
    ).json<{ secret: string }>();
    const enabled = await inject({
      method: 'POST',
      url: '/api/v1/mfa/totp/verify',
      headers: bearer(user.accessToken),
      payload: { otp: await generate({ secret }) },
    });
    expect(enabled.statusCode).toBe(200);
    const change = (payload: object) =>
      inject({
        method: 'POST',
        url: '/api/v1/auth/password/change',
        ip: nextIp(),
        headers: bearer(user.accessToken),
        payload: { currentPassword: PASSWORD, newPassword: 'another long passphrase 99', ...payload },
      });
    expect((await change({})).json().error.code).toBe('mfa_required');
    expect((await change({ otp: '000000' })).json().error.code).toBe('mfa_invalid');
    const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    expect((await change({ otp: next })).statusCode).toBe(200);
  });
});

describe('MFA and password reset', () => {
  it('sets up TOTP, then requires a code at login', async () => {
    const user = await signedUp();
    const setup = await inject({
      method: 'POST',
      url: '/api/v1/mfa/totp',
      headers: bearer(user.accessToken),
    });
    const { secret } = setup.json<{ secret: string }>();
    const verify = await inject({
      method: 'POST',
      url: '/api/v1/mfa/totp/verify',
      headers: bearer(user.accessToken),
      payload: { otp: await generate({ secret }) },
    });
    expect(verify.statusCode).toBe(200);
    const noCode = await login(user.email);
    expect(noCode.statusCode).toBe(401);
    expect(noCode.json().error.code).toBe('mfa_required');
    expect((await login(user.email, { otp: '000000' })).json().error.code).toBe('mfa_invalid');
    // A code is accepted once; the code of the next step logs in.
    const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const ok = await login(user.email, { otp: next });
    expect(ok.statusCode).toBe(200);
    expect((await login(user.email, { otp: next })).statusCode).toBe(401);
  });

  it('admins need MFA for admin routes', async () => {
    const { requireAdmin } = await import('../../platform/http/guards.js');
    const user = await signedUp();
    await app.services.accounts.setUserRole(user.userId, 'admin');
    const probe = await createTestApp({ database: testDb.database, redis });
    probe.get('/t/admin', { preHandler: requireAdmin }, async () => ({ ok: true }));
    await probe.ready();
    try {
      expect(
        (await probe.inject({ method: 'GET', url: '/t/admin', headers: bearer(user.accessToken) }))
          .statusCode,
      ).toBe(403);
    } finally {
      await probe.close();
    }
  });

  it('reset links from the SMTP catcher work once and sign every session out', async () => {
    const user = await signedUp();
    catcher.clear();
    const ip = nextIp();
    const forgot = await inject({
      method: 'POST',
      url: '/api/v1/auth/password/forgot',
      ip,
      payload: { email: user.email, captcha: await solveCaptcha(app, ip) },
    });
    expect(forgot.statusCode).toBe(202);
    const mail = await catcher.waitForMessage(
      (m) => m.to.includes(user.email) && m.subject.includes('Reset'),
    );
    const token = decodeURIComponent(/reset-password\?token=([A-Za-z0-9_%-]+)/.exec(mail.text)![1]!);
    const reset = async () => {
      const at = nextIp();
      return inject({
        method: 'POST',
        url: '/api/v1/auth/password/reset',
        ip: at,
        payload: { token, password: 'a brand new passphrase 9', captcha: await solveCaptcha(app, at) },
      });
    };
    expect((await reset()).statusCode).toBe(200);
    expect((await reset()).statusCode).toBe(400);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) })).statusCode,
    ).toBe(401);
    expect((await login(user.email, {}, nextIp(), 'a brand new passphrase 9')).statusCode).toBe(200);
  });
});
