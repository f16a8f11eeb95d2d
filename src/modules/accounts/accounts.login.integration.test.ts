import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { testConfig } from '../../../test/support/app.js';
import { solveCaptcha } from '../../../test/support/captcha.js';
import { CAPTCHA_AFTER_CLIENT_FAILURES } from './domain.js';
import { createAuditService } from '../audit/index.js';
import { createLedgerService } from '../ledger/index.js';
import { type AccountsService, createAccountsService } from './service.js';
import {
  useAccountsSuite,
  testDb,
  app,
  nextIp,
  PASSWORD,
  register,
  login,
  signedUp,
} from './accounts.suite.js';

useAccountsSuite();

describe('login', () => {
  it('answers a wrong password and an unknown e-mail alike (401 invalid_credentials, same message)', async () => {
    const { email } = await signedUp();
    const wrong = await login(email, {}, nextIp(), 'not the password at all');
    const unknown = await login(
      `nobody-${randomUUID().slice(0, 8)}@example.test`,
      {},
      nextIp(),
      'not the password at all',
    );
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    // The code of every wrong password (the password change says it too), not the missing-credential one.
    expect(wrong.json().error.code).toBe('invalid_credentials');
    expect(wrong.json()).toEqual(unknown.json());
  });

  it('asks for a captcha after repeated failures, then accepts the right password with one', async () => {
    const email = `lock-${randomUUID().slice(0, 8)}@example.test`;
    expect((await register(email)).statusCode).toBe(202);
    for (let i = 0; i < 3; i++)
      expect((await login(email, {}, nextIp(), 'wrong password here')).statusCode).toBe(401);
    const blocked = await login(email);
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.code).toBe('captcha_required');
    const ip = nextIp();
    const ok = await login(email, { captcha: await solveCaptcha(app, ip) }, ip);
    expect(ok.statusCode).toBe(200);
    // The same happens for an address without an account: nothing reveals which exist.
    const ghost = `ghost-${randomUUID().slice(0, 8)}@example.test`;
    for (let i = 0; i < 3; i++) await login(ghost, {}, nextIp(), 'wrong password here');
    expect((await login(ghost)).json().error.code).toBe('captcha_required');
    const audit = await testDb.database.sql.query(`select action from audit_log where subject_id = $1`, [
      email,
    ]);
    expect(audit.rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(['login.failed', 'login.lockout', 'login.captcha_required']),
    );
  });

  it('never refuses the owner for failures on the account: the right password with a solved captcha gets in', async () => {
    const { email, userId } = await signedUp();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await login(email, {}, nextIp(), 'wrong password here')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 403, 403, 403, 403, 403]);
    const ip = nextIp();
    const ok = await login(email, { captcha: await solveCaptcha(app, ip) }, ip);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().user.id).toBe(userId);
  });
});

describe('flagged clients', () => {
  /** The service itself, for failure bursts beyond the 5/min per-IP login rate limit of the route. */
  let accounts: AccountsService;
  beforeAll(() => {
    const config = testConfig();
    const db = testDb.database.db;
    accounts = createAccountsService({
      db,
      config,
      logger: createLogger('silent'),
      mailer: undefined,
      jobs: undefined,
      ledger: createLedgerService(),
      audit: createAuditService({ db }),
    });
  });
  const failFrom = (ip: string) =>
    expect(
      accounts.login(
        { email: `spray-${randomUUID().slice(0, 8)}@example.test`, password: 'wrong password here' },
        { ip, userAgent: null },
      ),
    ).rejects.toMatchObject({ status: 401 });

  it('asks every sign-in from a client with many failures (across accounts) for a captcha; a captcha gets through', async () => {
    const victim = await signedUp();
    const client = nextIp();
    // One failure each on four addresses: no account reaches its own threshold, the client is not flagged.
    for (let i = 0; i < CAPTCHA_AFTER_CLIENT_FAILURES - 1; i++) await failFrom(client);
    expect((await login(victim.email, {}, client)).statusCode).toBe(200);
    // The fifth failure flags the client (signing in above did not clear its count).
    await failFrom(client);
    const refused = await login(victim.email, {}, client);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('captcha_required');
    expect(refused.json().error.message).toContain('network');
    // Any account, registered or not, from that client.
    const ghost = await login(`ghost-${randomUUID().slice(0, 8)}@example.test`, {}, client);
    expect(ghost.json().error.code).toBe('captcha_required');
    // The account itself is not locked: another client signs in without a captcha …
    expect((await login(victim.email, {}, nextIp())).statusCode).toBe(200);
    // … and the flagged client gets through with a solved captcha.
    const ok = await login(victim.email, { captcha: await solveCaptcha(app, client) }, client);
    expect(ok.statusCode).toBe(200);

    const audit = await testDb.database.sql.query(
      `select action, subject_type from audit_log where subject_id = $1 order by at`,
      [client],
    );
    expect(audit.rows).toEqual(
      expect.arrayContaining([
        { action: 'login.client_flagged', subject_type: 'ip' },
        { action: 'login.captcha_required', subject_type: 'ip' },
      ]),
    );
  });

  it('counts failed sign-ins over HTTP per client across accounts', async () => {
    const client = nextIp();
    // Five requests: the most one address may send in a minute; each names another account.
    for (let i = 0; i < CAPTCHA_AFTER_CLIENT_FAILURES; i++) {
      const response = await login(
        `many-${i}-${randomUUID().slice(0, 6)}@example.test`,
        {},
        client,
        'wrong password here',
      );
      expect(response.statusCode).toBe(401);
    }
    const counted = await testDb.database.sql.query(
      `select subject, failures from login_failures where subject = $1`,
      [`ip:${client}`],
    );
    expect(counted.rows).toEqual([{ subject: `ip:${client}`, failures: CAPTCHA_AFTER_CLIENT_FAILURES }]);
    // The sixth request of the minute is rate-limited; after it, the client needs a captcha.
    expect((await login('late@example.test', {}, client, 'wrong password here')).statusCode).toBe(429);
    const { email } = await signedUp();
    await expect(
      accounts.login({ email, password: PASSWORD }, { ip: client, userAgent: null }),
    ).rejects.toMatchObject({ status: 403, code: 'captcha_required' });
  });

  it('counts IPv6 clients per /64', async () => {
    const { email } = await signedUp();
    for (let i = 1; i <= CAPTCHA_AFTER_CLIENT_FAILURES; i++)
      await failFrom(`2001:db8:77:1::${i.toString(16)}`);
    await expect(
      accounts.login({ email, password: PASSWORD }, { ip: '2001:db8:77:1:abcd::9', userAgent: null }),
    ).rejects.toMatchObject({ status: 403, code: 'captcha_required' });
    const neighbour = await accounts.login(
      { email, password: PASSWORD },
      { ip: '2001:db8:77:2::1', userAgent: null },
    );
    expect(neighbour.user.email).toBe(email);
  });
});
