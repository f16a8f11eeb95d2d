import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { testConfig } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { createAuditService } from '../audit/index.js';
import { createLedgerService } from '../ledger/index.js';
import {
  type AccountsCore,
  createAccountsService,
  generateStrongPassword,
  provisionAdmin,
} from './service.js';
import * as store from './store.js';

let testDb: TestDatabase;
let core: AccountsCore;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(4);
  const db = testDb.database.db;
  core = { db, ledger: createLedgerService(), audit: createAuditService({ db }) };
}, 60_000);

afterAll(async () => {
  await testDb?.dispose();
});

const query = (text: string, values: unknown[] = []) => testDb.database.sql.query(text, values);
const newEmail = () => `admin-${randomUUID().slice(0, 8)}@example.test`;

describe('admin:create (provisionAdmin)', () => {
  it('creates a confirmed admin with a strong generated password that signs in', async () => {
    const email = newEmail();
    const result = await provisionAdmin(core, `  ${email.toUpperCase()} `);
    expect(result.outcome).toBe('created');
    if (result.outcome !== 'created') return;
    expect(result.user).toMatchObject({ email, role: 'admin', emailConfirmed: true, mfaEnabled: false });
    expect(result.password.length).toBeGreaterThanOrEqual(32);
    expect(passwordProblem(result.password, email)).toBeUndefined();

    // Stored only as a hash, and it is the printed password.
    const row = await store.userByEmail(testDb.database.db, email);
    expect(row!.passwordHash).not.toContain(result.password);
    expect(await verifyPassword(row!.passwordHash, result.password)).toBe(true);
    const accounts = createAccountsService({
      ...core,
      config: testConfig(),
      logger: createLogger('silent'),
      mailer: undefined,
      jobs: undefined,
    });
    const signedIn = await accounts.login(
      { email, password: result.password },
      { ip: '192.0.2.10', userAgent: null },
    );
    expect(signedIn.user.role).toBe('admin');

    // Like any account: a wallet with the sign-up credit, and an audit trail.
    const wallet = await query(`select balance from wallets where owner_id = $1 and currency = 'CREDIT'`, [
      result.user.id,
    ]);
    expect(Number(wallet.rows[0]?.balance)).toBe(1);
    const audit = await query(`select action from audit_log where subject_id = $1 order by at`, [
      result.user.id,
    ]);
    expect(audit.rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(['user.registered', 'user.role_changed']),
    );
  });

  it('promotes an existing user and keeps their password; a second run changes nothing', async () => {
    const email = newEmail();
    const passwordHash = await hashPassword('the user own passphrase 1');
    const existing = await store.insertUser(testDb.database.db, { email, passwordHash });
    const promoted = await provisionAdmin(core, email);
    expect(promoted).toEqual({
      outcome: 'promoted',
      user: expect.objectContaining({ id: existing!.id, role: 'admin' }),
    });
    expect('password' in promoted).toBe(false);
    const row = await store.userById(testDb.database.db, existing!.id);
    expect(row!.passwordHash).toBe(passwordHash);
    // An existing account's e-mail confirmation is its own business.
    expect(row!.emailConfirmedAt).toBeNull();

    const again = await provisionAdmin(core, email);
    expect(again.outcome).toBe('already_admin');
    const changes = await query(
      `select details->>'previousRole' as previous from audit_log where subject_id = $1 and action = 'user.role_changed'`,
      [existing!.id],
    );
    expect(changes.rows).toEqual([{ previous: 'user' }]);
  });

  it('refuses something that is not an e-mail address', async () => {
    await expect(provisionAdmin(core, 'not-an-address')).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
  });

  it('generates a different password every time', () => {
    const passwords = new Set(Array.from({ length: 50 }, generateStrongPassword));
    expect(passwords.size).toBe(50);
  });
});
