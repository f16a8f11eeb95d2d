/**
 * Fault injection on the provider: creates slower than the client's timeout, until the client's
 * circuit breaker opens. Whatever the reconciler and the upstream-cancel job see meanwhile, no order
 * the provider may have sold is failed, every number bought upstream ends linked to an order or
 * canceled upstream, and the ledger stays clean.
 */
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { eventually } from '../../../test/support/eventually.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import type { Db } from '../../platform/db/database.js';
import type { Principal } from '../../platform/http/principal.js';
import { createTextVerifiedClient, type TextVerifiedClient } from '../../providers/textverified/index.js';
import { startTextVerifiedSandbox, type TextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import type { VerificationsService } from './service.js';
import type { VerificationView } from './views.js';
import { verifications } from './schema.js';
import { checkLedgerInvariants, createLedgerService } from '../ledger/index.js';
import { fundWallet } from '../../../test/support/wallet.js';

const ledger = createLedgerService();

const ENV = { RATE_LIMIT_GLOBAL_PER_MINUTE: '0' };
const CLIENT = { baseUrl: '', apiKey: 'tv-key', username: 'ops@namaskah.test' };
const CREATE_TIMEOUT_MS = 250;
/** Consecutive failures that open the client's circuit. */
const BREAKER_AFTER = 10;

let testDb: TestDatabase;
let db: Db;
let sandbox: TextVerifiedSandbox;
let client: TextVerifiedClient;
let app: TestApp;
let verificationService: VerificationsService;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(10);
  db = testDb.database.db;
  sandbox = await startTextVerifiedSandbox({
    apiKey: CLIENT.apiKey,
    username: CLIENT.username,
    webhookSecret: 'whsec_faults',
    smsDelayMs: 3_600_000,
    maxUnfinished: 1_000_000,
    balanceCents: 1_000_000_000,
  });
  sandbox.control.setStock('whatsapp', 1_000_000);
  client = createTextVerifiedClient({
    ...CLIENT,
    baseUrl: sandbox.url,
    timeoutMs: CREATE_TIMEOUT_MS,
    retry: { retries: 0 },
    circuitBreaker: { consecutiveFailures: BREAKER_AFTER, halfOpenAfterMs: 3_000 },
  });
  app = await createTestApp({ database: testDb.database, providers: { textVerified: client }, env: ENV });
  trustTestPrincipalHeader(app);
  verificationService = app.services.verifications;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await sandbox?.close();
  await testDb?.dispose();
});

async function fundedUser(cents: number): Promise<Principal> {
  const principal = testPrincipal({ tier: 'payg' });
  await fundWallet(db, principal.userId, cents);
  return principal;
}

const buy = (principal: Principal) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/verifications',
    headers: { ...asPrincipal(principal), 'idempotency-key': `buy-${principal.userId}` },
    payload: { service: 'whatsapp', country: 'US' },
  });

describe('provider creates slower than the client timeout, circuit open', () => {
  it('the reconciler and the upstream-cancel job treat an open circuit as "unknown, try later"', async () => {
    // Warm the catalogue (prices are read once and cached) while the provider is still quick.
    const warm = await fundedUser(500);
    expect((await buy(warm)).statusCode).toBe(201);

    sandbox.control.setCreateLatency(CREATE_TIMEOUT_MS * 4);
    const lost: { user: Principal; id: string }[] = [];
    for (let i = 0; i < BREAKER_AFTER; i++) {
      const user = await fundedUser(500);
      const response = await buy(user);
      expect(response.statusCode, response.body).toBe(202); // timed out: bought upstream or not, unknown
      lost.push({ user, id: response.json<VerificationView>().id });
    }
    expect(client.circuitState()).toBe('open');
    // Purchases keep coming while the circuit is open: refused before anything is sent.
    const refused: { user: Principal; id: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const user = await fundedUser(500);
      const response = await buy(user);
      expect(response.statusCode, response.body).toBe(503);
      const error = response.json<{ error: { code: string; details: { verificationId: string } } }>().error;
      expect(error.code).toBe('provider_unavailable');
      refused.push({ user, id: error.details.verificationId });
    }
    // One buyer gives up on an order whose number may or may not have been bought: refunded at once.
    const quitter = lost[0]!;
    const canceled = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${quitter.id}/cancel`,
      headers: asPrincipal(quitter.user),
    });
    expect(canceled.json<VerificationView>().status).toBe('canceled');

    // The jobs run while the provider is still slow and the circuit still open.
    expect(client.circuitState()).toBe('open');
    const whileOpen = await verificationService.reconcilePending({ olderThanMs: 0 });
    expect(whileOpen.failed).toBe(0);
    await verificationService.retryUpstreamActions({ unboughtAfterMs: 0 });
    const rowsWhileOpen = await ordersById(lost.map((o) => o.id));
    for (const { id } of lost.slice(1)) expect(rowsWhileOpen.get(id)!.status).toBe('pending');
    // The canceled order still owes the provider a cancel: its number may exist upstream.
    expect(rowsWhileOpen.get(quitter.id)!.upstreamAction).toBe('cancel');

    // The provider recovers; once the circuit lets calls through, the jobs find every purchase.
    sandbox.control.setCreateLatency(0);
    await eventually(async () => {
      await verificationService.reconcilePending({ olderThanMs: 0 });
      await verificationService.retryUpstreamActions({ unboughtAfterMs: 0 });
      const rows = await ordersById(lost.map((o) => o.id));
      return [...rows.values()].every((r) => r.status !== 'pending' && r.upstreamAction === null)
        ? true
        : undefined;
    }, 20_000);

    // Every order's final state.
    const finals = await ordersById([...lost, ...refused].map((o) => o.id));
    expect(finals.get(quitter.id)).toMatchObject({ status: 'canceled' });
    for (const { id } of lost.slice(1)) {
      expect(finals.get(id)).toMatchObject({ status: 'active' });
      expect(finals.get(id)!.phoneNumber).toMatch(/^\+1\d{10}$/);
    }
    for (const { id } of refused) {
      expect(finals.get(id)).toMatchObject({ status: 'failed', failureCode: 'provider_unavailable' });
      expect(sandbox.control.requests().some((r) => r.idempotencyKey === `nmk-ver-${id}`)).toBe(false);
    }

    // Every number bought upstream is linked to an order, and canceled there if its order was.
    const inspector = createTextVerifiedClient({ ...CLIENT, baseUrl: sandbox.url });
    const upstream = await inspector.listVerifications();
    expect(upstream).toHaveLength(1 + BREAKER_AFTER);
    const byProviderId = new Map(
      (await db.select().from(verifications)).filter((r) => r.providerId).map((r) => [r.providerId!, r]),
    );
    for (const v of upstream) {
      const order = byProviderId.get(v.id);
      expect(order, `upstream ${v.id} belongs to no order`).toBeDefined();
      expect(v.state).toBe(order!.status === 'canceled' ? 'canceled' : 'pending');
    }

    // Money: the nine live orders hold their price, everyone else has it all back.
    for (const { user, id } of [...lost, ...refused]) {
      const held = finals.get(id)!.status === 'active' ? 143 : 0;
      expect(await ledger.walletSummary(db, user.userId)).toEqual({ balance: 500 - held, held });
    }
    const report = await checkLedgerInvariants(db);
    expect(report.violations).toEqual([]);
  }, 60_000);
});

async function ordersById(ids: string[]) {
  const rows = await db.select().from(verifications).where(inArray(verifications.id, ids));
  return new Map(rows.map((r) => [r.id, r]));
}
