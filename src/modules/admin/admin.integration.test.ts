/**
 * The administration API over HTTP (SPEC §8, §1 journey 6): who may call it, what each action
 * changes, and that every change is in the audit log. Real PostgreSQL; users made through the
 * accounts service and signed in through the API.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignedIn, routesUnder, signInAdmin, signInUser } from '../../../test/support/admin.js';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { nextIp } from '../../../test/support/attacker.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { fundWallet } from '../../../test/support/wallet.js';
import { checkLedgerInvariants } from '../ledger/index.js';
import { ADMIN_PREFIX } from './index.js';

let testDb: TestDatabase;
let app: TestApp;
let admin: SignedIn;

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

const bearer = (user: { accessToken: string }) => ({ authorization: `Bearer ${user.accessToken}` });
const call = (
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
const query = async <T>(text: string, values: unknown[] = []) =>
  (await testDb.database.sql.query(text, values)).rows as T[];

/** The adjustments posted to a user's wallet and the audit entries that record them. */
async function adjustmentsOf(userId: string) {
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

const balanceOf = async (userId: string) =>
  (await app.services.payments.walletOverview(userId)).balance.amount;

describe('who may call the admin routes', () => {
  it('every registered admin route refuses non-admins, admins without MFA and API keys, and admits an admin with MFA', async () => {
    const routes = routesUnder(app, ADMIN_PREFIX);
    // The route tree of the app, not a hand list: a new admin route is checked by this test too.
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const user = await signInUser(app);
    const noMfa = await signInAdmin(app, { mfa: false });
    // An admin's own API key (the admin's tier allows keys) is refused like any key.
    await app.services.accounts.setUserTier(admin.userId, 'payg');
    const made = await call(admin, {
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'admin key', scopes: ['account:read', 'wallet:read'] },
    });
    expect(made.statusCode, made.body).toBe(201);
    const apiKey = { accessToken: made.json<{ key: string }>().key };

    for (const route of routes) {
      const url = route.url.replace(':id', user.userId).replace(':name', 'payg');
      const method = route.method as 'GET' | 'POST' | 'PUT' | 'PATCH';
      const payload = method === 'GET' ? undefined : {};
      const what = `${route.method} ${route.url}`;

      const anonymous = await call(null, { method, url, payload });
      expect(anonymous.statusCode, what).toBe(401);

      const asUser = await call(user, { method, url, payload });
      expect(asUser.statusCode, what).toBe(403);
      expect(asUser.json().error.code, what).toBe('forbidden');

      const withoutMfa = await call(noMfa, { method, url, payload });
      expect(withoutMfa.statusCode, what).toBe(403);
      expect(withoutMfa.json().error.code, what).toBe('mfa_setup_required');

      const byKey = await call(apiKey, { method, url, payload });
      expect(byKey.statusCode, what).toBe(403);

      // The guard lets an administrator with MFA through: an empty body is then a validation error.
      const allowed = await call(admin, { method, url, payload });
      expect([200, 400], `${what}: ${allowed.body}`).toContain(allowed.statusCode);
    }
    // None of those refused requests changed anything.
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 0, auditEntries: 0 });
  });
});

describe('the OpenAPI document', () => {
  it('lists every admin route with the MFA refusal among its 403 codes', async () => {
    const doc = (await call(null, { url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    const routes = routesUnder(app, ADMIN_PREFIX);
    for (const route of routes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${path}`).toBeDefined();
      expect(JSON.stringify(operation!.responses['403']), path).toContain('mfa_setup_required');
    }
  });
});

describe('users', () => {
  it('finds users by e-mail fragment or id, page by page, and shows one with wallet and tier', async () => {
    const tag = randomUUID().slice(0, 6);
    const made = await Promise.all(
      [1, 2, 3].map((i) =>
        app.services.accounts.createUser({
          email: `find-${tag}-${i}@example.test`,
          password: 'a long passphrase 1',
        }),
      ),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(admin, {
        url: `${ADMIN_PREFIX}/users?q=${tag.toUpperCase()}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(page.statusCode, page.body).toBe(200);
      const body = page.json<{ data: { email: string }[]; nextCursor: string | null }>();
      seen.push(...body.data.map((u) => u.email));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3].map((i) => `find-${tag}-${i}@example.test`));

    const target = made[1]!;
    const byId = await call(admin, { url: `${ADMIN_PREFIX}/users?q=${target.id}` });
    expect(byId.json<{ data: { id: string }[] }>().data.map((u) => u.id)).toEqual([target.id]);
    // A LIKE wildcard in the query is a character, not a pattern.
    const wildcard = await call(admin, { url: `${ADMIN_PREFIX}/users?q=${encodeURIComponent('%')}` });
    expect(wildcard.json<{ data: unknown[] }>().data).toEqual([]);

    await fundWallet(testDb.database.db, target.id, 700);
    const detail = await call(admin, { url: `${ADMIN_PREFIX}/users/${target.id}` });
    expect(detail.statusCode, detail.body).toBe(200);
    expect(detail.json()).toMatchObject({
      user: { id: target.id, email: target.email, status: 'active', tier: 'freemium', role: 'user' },
      wallet: {
        balance: { amount: 700, currency: 'USD' },
        held: { amount: 0, currency: 'USD' },
        includedUsage: { freeVerifications: 1 },
      },
      tier: { name: 'freemium' },
      apiKeys: [],
    });
    const ledger = await call(admin, { url: `${ADMIN_PREFIX}/users/${target.id}/ledger` });
    expect(ledger.json<{ data: { type: string; amount: { amount: number } }[] }>().data).toEqual([
      expect.objectContaining({ amount: { amount: 700, currency: 'USD' } }),
    ]);
    for (const tail of ['', '/ledger', '/verifications', '/topups']) {
      const missing = await call(admin, { url: `${ADMIN_PREFIX}/users/${randomUUID()}${tail}` });
      expect(missing.statusCode, tail).toBe(404);
    }
    const bad = await call(admin, { url: `${ADMIN_PREFIX}/users?cursor=not-a-cursor!` });
    expect(bad.statusCode).toBe(400);
  });

  it('suspension refuses the user’s next call (token and API key) and unsuspension restores it, both audited', async () => {
    const user = await signInUser(app);
    await app.services.accounts.setUserTier(user.userId, 'payg');
    const made = await call(user, {
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'k', scopes: ['account:read'] },
    });
    const key = { accessToken: made.json<{ key: string }>().key };
    expect((await call(key, { url: '/api/v1/me' })).statusCode).toBe(200);

    const suspended = await call(admin, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${user.userId}/suspend`,
      payload: { reason: 'chargeback fraud ring' },
    });
    expect(suspended.statusCode, suspended.body).toBe(200);
    expect(suspended.json()).toMatchObject({ id: user.userId, status: 'suspended' });
    for (const caller of [key, user]) {
      const refused = await call(caller, { url: '/api/v1/me' });
      expect(refused.statusCode).toBe(403);
    }

    const restored = await call(admin, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${user.userId}/unsuspend`,
      payload: { reason: 'cleared by support' },
    });
    expect(restored.json()).toMatchObject({ status: 'active' });
    expect((await call(key, { url: '/api/v1/me' })).statusCode).toBe(200);

    const log = await call(admin, {
      url: `${ADMIN_PREFIX}/audit-log?subjectId=${user.userId}&actorId=${admin.userId}`,
    });
    const entries = log.json<{ data: { action: string; ip: string | null; details: object }[] }>().data;
    expect(entries.map((e) => e.action)).toEqual(['user.unsuspended', 'user.suspended']);
    expect(entries[1]).toMatchObject({
      details: { reason: 'chargeback fraud ring' },
      ip: expect.any(String),
    });

    // An administrator cannot lock themselves out.
    const self = await call(admin, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${admin.userId}/suspend`,
      payload: { reason: 'oops, myself' },
    });
    expect(self.statusCode).toBe(403);
  });
});

describe('balance adjustments', () => {
  const adjust = (userId: string, payload: unknown, key: string | undefined) =>
    call(admin, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${userId}/adjustments`,
      payload,
      headers: key === undefined ? {} : { 'idempotency-key': key },
    });

  it('posts one ledger transaction and one audit entry, however often the request is replayed', async () => {
    const user = await signInUser(app);
    const key = randomUUID();
    const body = { amount: 250, reason: 'goodwill credit for ticket 42' };
    const first = await adjust(user.userId, body, key);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      userId: user.userId,
      amount: { amount: 250, currency: 'USD' },
      balance: { amount: 250, currency: 'USD' },
      duplicate: false,
    });
    const replay = await adjust(user.userId, body, key);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 1, auditEntries: 1 });

    // The same request once its idempotency record is gone (expired): the ledger's key holds.
    await query(`delete from idempotency_keys where key = $1`, [key]);
    const late = await adjust(user.userId, body, key);
    expect(late.statusCode, late.body).toBe(201);
    expect(late.json()).toMatchObject({ transactionId: first.json().transactionId, duplicate: true });
    // And straight through the service, around the HTTP layer altogether.
    const direct = await app.services.admin.adjustBalance(
      { userId: admin.userId, ip: null },
      { userId: user.userId, ...body, requestKey: key },
    );
    expect(direct).toMatchObject({ transactionId: first.json().transactionId, duplicate: true });
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 1, auditEntries: 1 });
    expect(await balanceOf(user.userId)).toBe(250);

    const audit = await call(admin, {
      url: `${ADMIN_PREFIX}/audit-log?action=admin.balance_adjusted&subjectId=${user.userId}`,
    });
    expect(audit.json<{ data: unknown[] }>().data).toEqual([
      expect.objectContaining({
        actorId: admin.userId,
        subjectType: 'user',
        ip: expect.any(String),
        details: {
          amount: 250,
          currency: 'USD',
          reason: body.reason,
          transactionId: first.json().transactionId,
        },
      }),
    ]);
  });

  it('concurrent identical requests post once', async () => {
    const user = await signInUser(app);
    const key = randomUUID();
    const body = { amount: 125, reason: 'refund of a failed order' };
    const responses = await Promise.all(Array.from({ length: 8 }, () => adjust(user.userId, body, key)));
    for (const response of responses) expect([201, 409], response.body).toContain(response.statusCode);
    expect(responses.filter((r) => r.statusCode === 201).length).toBeGreaterThanOrEqual(1);
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 1, auditEntries: 1 });
    expect(await balanceOf(user.userId)).toBe(125);
    // Around the idempotency layer too: the same request through the service, all at once.
    const direct = await Promise.all(
      Array.from({ length: 8 }, () =>
        app.services.admin.adjustBalance(
          { userId: admin.userId, ip: null },
          { userId: user.userId, amount: 40, reason: 'direct race', requestKey: 'race-key' },
        ),
      ),
    );
    expect(direct.filter((d) => !d.duplicate)).toHaveLength(1);
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 2, auditEntries: 2 });
    expect(await balanceOf(user.userId)).toBe(165);
  });

  it('a debit never takes the wallet below zero, and a refused one leaves no trace', async () => {
    const user = await signInUser(app);
    await fundWallet(testDb.database.db, user.userId, 300);
    const tooMuch = await adjust(user.userId, { amount: -301, reason: 'claw back promo' }, randomUUID());
    expect(tooMuch.statusCode).toBe(402);
    expect(tooMuch.json().error.code).toBe('insufficient_funds');
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 0, auditEntries: 0 });
    const all = await adjust(user.userId, { amount: -300, reason: 'claw back promo' }, randomUUID());
    expect(all.statusCode, all.body).toBe(201);
    expect(all.json().balance).toEqual({ amount: 0, currency: 'USD' });
    // A user who never had a USD wallet has nothing to debit.
    const fresh = await signInUser(app);
    expect(
      (await adjust(fresh.userId, { amount: -1, reason: 'nothing there' }, randomUUID())).statusCode,
    ).toBe(402);
  });

  it('refuses a missing key, a zero or oversized amount, no reason, and an unknown user', async () => {
    const user = await signInUser(app);
    expect((await adjust(user.userId, { amount: 100, reason: 'no key given' }, undefined)).statusCode).toBe(
      400,
    );
    for (const payload of [
      { amount: 0, reason: 'zero' },
      { amount: 10_000_001, reason: 'a fortune' },
      { amount: 1.5, reason: 'fractional cents' },
      { amount: 100 },
      { amount: 100, reason: 'x', extra: true },
    ]) {
      const response = await adjust(user.userId, payload, randomUUID());
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const unknown = await adjust(randomUUID(), { amount: 100, reason: 'who is this' }, randomUUID());
    expect(unknown.statusCode).toBe(404);
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 0, auditEntries: 0 });
  });
});

describe('the audit log and the ledger check', () => {
  it('filters by actor, action, subject and time, and pages without gaps or repeats', async () => {
    const other = await signInAdmin(app);
    const user = await signInUser(app);
    for (let i = 0; i < 3; i++) {
      await call(other, {
        method: 'POST',
        url: `${ADMIN_PREFIX}/users/${user.userId}/adjustments`,
        payload: { amount: 10 + i, reason: `audit page test ${i}` },
        headers: { 'idempotency-key': randomUUID() },
      });
    }
    await call(other, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${user.userId}/suspend`,
      payload: { reason: 'audit filter test' },
    });
    const list = async (params: string) => {
      const response = await call(admin, { url: `${ADMIN_PREFIX}/audit-log?${params}` });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{
        data: { id: string; at: string; action: string; actorId: string; subjectId: string }[];
        nextCursor: string | null;
      }>();
    };
    const byActor = (await list(`actorId=${other.userId}`)).data;
    // Newest first: the four actions above, then the other admin's own sign-up, sign-in and MFA setup.
    expect(byActor.map((e) => e.action)).toEqual([
      'user.suspended',
      'admin.balance_adjusted',
      'admin.balance_adjusted',
      'admin.balance_adjusted',
      'mfa.enabled',
      'login.succeeded',
      'user.registered',
    ]);
    expect(byActor.every((e) => e.actorId === other.userId)).toBe(true);
    const adjustments = (await list(`actorId=${other.userId}&action=admin.balance_adjusted`)).data;
    expect(adjustments).toHaveLength(3);
    expect((await list(`action=user.suspended&subjectId=${user.userId}`)).data).toHaveLength(1);
    // `before` is a point in time: only what happened earlier.
    const older = (await list(`actorId=${other.userId}&before=${encodeURIComponent(byActor[1]!.at)}`)).data;
    expect(older.every((e) => e.at < byActor[1]!.at)).toBe(true);
    expect(older.map((e) => e.id)).not.toContain(byActor[1]!.id);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`actorId=${other.userId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(byActor.map((e) => e.id));
    expect((await call(admin, { url: `${ADMIN_PREFIX}/audit-log?cursor=bm9wZQ` })).statusCode).toBe(400);
  });

  it('pages through entries written at the same instant (one transaction) without losing any', async () => {
    const subjectId = randomUUID();
    await testDb.database.db.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) {
        await app.services.audit.record(tx, {
          action: 'test.same_instant',
          subjectType: 'user',
          subjectId,
          details: { i },
        });
      }
    });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const response = await call(admin, {
        url: `${ADMIN_PREFIX}/audit-log?subjectId=${subjectId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      const page = response.json<{ data: { details: { i: number } }[]; nextCursor: string | null }>();
      seen.push(...page.data.map((e) => e.details.i));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('reports a clean ledger after the adjustments above', async () => {
    const response = await call(admin, { url: `${ADMIN_PREFIX}/invariants` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ ok: true, violations: [] });
    expect(response.json().counts.transactions).toBeGreaterThan(0);
    expect((await checkLedgerInvariants(testDb.database.db)).ok).toBe(true);
  });
});
