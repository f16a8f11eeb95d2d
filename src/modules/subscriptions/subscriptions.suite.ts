// Shared setup of the subscriptions integration tests (one database and app per test file).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { fundWallet } from '../../../test/support/wallet.js';
import { createMailer } from '../../platform/mail/mailer.js';
import { createTextVerifiedClient } from '../../providers/textverified/index.js';
import { type SmtpCatcher, startSmtpCatcher } from '../../sandbox/smtp/catcher.js';
import { type TextVerifiedSandbox, startTextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import { checkLedgerInvariants } from '../ledger/index.js';
import type { SubscriptionEvent } from './events.js';
import { type SubscriptionsService, createSubscriptionsService } from './service.js';

export const PASSWORD = 'correct horse battery staple 42';

export let testDb: TestDatabase;
export let app: TestApp;
export let catcher: SmtpCatcher;
let sandbox: TextVerifiedSandbox;
let ipCounter = 1;

/** Each test file that uses the suite gets its own database, sandbox, SMTP catcher and app. */
export function useSubscriptionsSuite(): void {
  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(30);
    catcher = await startSmtpCatcher();
    sandbox = await startTextVerifiedSandbox({
      apiKey: 'tv-key',
      username: 'ops@namaskah.test',
      webhookSecret: 'whsec_plans_test',
      smsDelayMs: 3_600_000,
    });
    const textVerified = createTextVerifiedClient({
      baseUrl: sandbox.url,
      apiKey: 'tv-key',
      username: 'ops@namaskah.test',
    });
    const mailer = createMailer({ smtpUrl: catcher.smtpUrl, from: 'Namaskah <no-reply@namaskah.test>' });
    app = await createTestApp({
      database: testDb.database,
      providers: { mailer, textVerified },
      env: { RATE_LIMIT_GLOBAL_PER_MINUTE: '0', ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' },
    });
    await app.ready();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await catcher?.close();
    await sandbox?.close();
    await testDb?.dispose();
  });
}

export const db = () => testDb.database.db;

export interface TestUser {
  id: string;
  email: string;
  headers: { authorization: string };
}

/** A real account (the gates read `users.tier` on every request), signed in with an access token. */
export async function signedUpUser(options: { confirmed?: boolean; cents?: number } = {}): Promise<TestUser> {
  const email = `plan-${randomUUID().slice(0, 8)}@example.test`;
  const created = await app.services.accounts.createUser({ email, password: PASSWORD });
  const id = created!.id;
  if (options.confirmed !== false)
    await testDb.database.sql.query('update users set email_confirmed_at = now() where id = $1', [id]);
  if (options.cents) await fundWallet(db(), id, options.cents);
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: `10.20.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`,
    payload: { email, password: PASSWORD },
  });
  expect(login.statusCode).toBe(200);
  return {
    id,
    email,
    headers: { authorization: `Bearer ${login.json<{ accessToken: string }>().accessToken}` },
  };
}

export const subscribe = (user: TestUser, payload: unknown, key?: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/subscription',
    headers: { ...user.headers, ...(key ? { 'idempotency-key': key } : {}) },
    payload: payload as Record<string, unknown>,
  });

export const subscriptionOf = async (user: TestUser) =>
  (await app.inject({ method: 'GET', url: '/api/v1/subscription', headers: user.headers })).json<{
    tier: string;
    status: string;
    currentPeriodStart: string | null;
    currentPeriodEnd: string | null;
    cancelAtPeriodEnd: boolean;
    graceEndsAt: string | null;
    includedUsage: { remaining: { amount: number }; perPeriod: { amount: number } };
  }>();

/** The subscription charges the ledger holds for a user (wallet → subscriptions, in USD). */
export async function chargesOf(userId: string): Promise<number[]> {
  const { rows } = await testDb.database.sql.query(
    `select e.amount::int as amount from ledger_entries e
       join ledger_transactions t on t.id = e.transaction_id
       join ledger_accounts a on a.id = e.account_id
      where t.kind = 'subscription' and a.owner_id = $1 and e.currency = 'USD' order by e.id`,
    [userId],
  );
  return rows.map((row) => -Number(row.amount));
}

export const balanceOf = async (userId: string, currency = 'USD') =>
  (await app.services.ledger.walletSummary(db(), userId, currency)).balance;

export async function expectLedgerClean() {
  expect((await checkLedgerInvariants(db())).violations).toEqual([]);
}

export const tierPrice = async (name: string) =>
  (await app.services.tiers.list()).find((t) => t.name === name)!;

/** A second service on the same database with its own clock (a worker at another moment). */
export function serviceAt(clock: { now: Date }, events: SubscriptionEvent[] = []): SubscriptionsService {
  const { services, platform } = app;
  return createSubscriptionsService({
    db: db(),
    ledger: services.ledger,
    tiers: services.tiers,
    accounts: services.accounts,
    mailer: platform.providers.mailer,
    jobs: undefined,
    publicUrl: platform.config.publicUrl,
    logger: platform.logger,
    emitEvent: async (_tx, event) => void events.push(event),
    now: () => clock.now,
  });
}

export async function idOf(userId: string): Promise<string> {
  const { rows } = await testDb.database.sql.query('select id from subscriptions where user_id = $1', [
    userId,
  ]);
  return String(rows[0]!.id);
}
