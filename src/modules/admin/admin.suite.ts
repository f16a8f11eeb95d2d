/**
 * Shared setup of the administration API tests: the administration API over HTTP (SPEC §8, §1 journey 6): who may call it, what each action
 * changes, and that every change is in the audit log. Real PostgreSQL; users made through the
 * accounts service and signed in through the API.
 */
import { afterAll, beforeAll } from 'vitest';
import { type SignedIn, signInAdmin } from '../../../test/support/admin.js';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { nextIp } from '../../../test/support/attacker.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';

export let testDb: TestDatabase;
export let app: TestApp;
export let admin: SignedIn;

/** Each test file gets its own database and app, with an administrator signed in with MFA. */
export function useAdminSuite(): void {
  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(10);
    app = await createTestApp({ database: testDb.database });
    await app.ready();
    admin = await signInAdmin(app);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await testDb?.dispose();
  });
}

export const bearer = (user: { accessToken: string }) => ({ authorization: `Bearer ${user.accessToken}` });
export const call = (
  user: { accessToken: string } | null,
  options: {
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH';
    url: string;
    payload?: unknown;
    headers?: Record<string, string>;
  },
) =>
  app.inject({
    method: options.method ?? 'GET',
    url: options.url,
    remoteAddress: nextIp(),
    headers: { ...(user ? bearer(user) : {}), ...(options.headers ?? {}) },
    ...(options.payload === undefined ? {} : { payload: options.payload as object }),
  });
export const query = async <T>(text: string, values: unknown[] = []) =>
  (await testDb.database.sql.query(text, values)).rows as T[];

/** The adjustments posted to a user's wallet and the audit entries that record them. */
export async function adjustmentsOf(userId: string) {
  const [ledger] = await query<{ n: number }>(
    `select count(*)::int as n from ledger_transactions t
       join ledger_entries e on e.transaction_id = t.id
       join ledger_accounts a on a.id = e.account_id
      where t.kind = 'adjustment' and a.owner_id = $1 and e.currency = 'USD'`,
    [userId],
  );
  const [audit] = await query<{ n: number }>(
    `select count(*)::int as n from audit_log where action = 'admin.balance_adjusted' and subject_id = $1`,
    [userId],
  );
  return { transactions: ledger!.n, auditEntries: audit!.n };
}

export const balanceOf = async (userId: string) =>
  (await app.services.payments.walletOverview(userId)).balance.amount;
