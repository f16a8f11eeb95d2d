// Shared setup of the top-up integration tests (topups.*.integration.test.ts): each file gets its
// own database, Paystack sandbox behind a TCP proxy, and app.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { asPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy.js';
import type { Db } from '../../platform/db/database.js';
import { createLogger } from '../../platform/logger.js';
import type { Principal } from '../../platform/http/principal.js';
import { createPaystackClient, type PaystackClient } from '../../providers/paystack/index.js';
import { startPaystackSandbox, type PaystackSandbox } from '../../sandbox/paystack/index.js';
import { createPaymentsService, type PaymentsService } from './service.js';
import { createLedgerService } from '../ledger/index.js';

export const ledger = createLedgerService();

/**
 * Top-ups end to end: the real app, the real Paystack client (through a TCP proxy we can cut)
 * against the Paystack sandbox, and a real PostgreSQL database.
 */

export const SECRET = 'sk_test_payments_suite_secret';
export const PUBLIC_URL = 'http://namaskah.test';

export let testDb: TestDatabase;
export let db: Db;
export let sandbox: PaystackSandbox;
let proxy: TcpProxy;
export let client: PaystackClient;
export let app: TestApp;
export let appUrl: string;
/** Same database and client as the app's, with a reconciler that looks at every open top-up. */
export let reconciler: PaymentsService;
export const silent = createLogger('silent');

// ---- helpers ---------------------------------------------------------------------------------

let proxyCut = false;
export async function cutProxy() {
  await proxy.cut();
  proxyCut = true;
}
export async function restoreProxy() {
  await proxy.restore();
  proxyCut = false;
}

export function createTopup(
  principal: Principal,
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/wallet/topups',
    headers: { ...asPrincipal(principal), ...headers },
    payload,
  });
}

export interface TopupBody {
  reference: string;
  status: string;
  authorizationUrl: string;
  amount: { amount: number; currency: string };
  charge: { amount: number; currency: string };
  exchangeRate: { ngnPerUsd: number } | null;
}

export async function initialized(
  principal: Principal,
  amount = 500,
  currency?: 'USD' | 'NGN',
): Promise<TopupBody> {
  const response = await createTopup(principal, { amount, ...(currency ? { currency } : {}) });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<TopupBody>();
}

export const get = (principal: Principal | null, url: string) =>
  app.inject({ method: 'GET', url, headers: principal ? asPrincipal(principal) : {} });

export async function available(userId: string) {
  return (await ledger.walletSummary(db, userId)).balance;
}

export async function topupLines(userId: string) {
  const lines = await ledger.walletStatement(db, userId, { limit: 1000 });
  return lines.filter((line) => line.kind === 'topup');
}

export const auditFor = async (reference: string) =>
  (await app.services.audit.list({ limit: 200 })).filter((entry) => entry.subjectId === reference);

export const callback = (reference: string) =>
  app.inject({
    method: 'GET',
    url: `/api/v1/wallet/topups/callback?trxref=${reference}&reference=${reference}`,
  });

/** Presses Pay on the sandbox checkout page (a plain form POST) and returns where it redirects. */
export async function pressPay(authorizationUrl: string): Promise<URL> {
  const response = await fetch(`${authorizationUrl}/pay`, { method: 'POST', redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

export function chargeSuccessBody(reference: string, data: Record<string, unknown> = {}) {
  return JSON.stringify({
    event: 'charge.success',
    data: { id: 1, status: 'success', reference, amount: 500, currency: 'USD', ...data },
  });
}

/**
 * The file's database, Paystack sandbox, proxy and app: call once at the top of each test file.
 * `refundProcessDelayMs`: the sandbox's (null: refunds are processed only through its control).
 */
export function useTopupsSuite(options: { refundProcessDelayMs?: number | null } = {}): void {
  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(20);
    db = testDb.database.db;
    sandbox = await startPaystackSandbox({
      secretKey: SECRET,
      webhookRetryDelaysMs: [50, 100],
      webhookTimeoutMs: 60_000,
      ...(options.refundProcessDelayMs === undefined
        ? {}
        : { refundProcessDelayMs: options.refundProcessDelayMs }),
    });
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(sandbox.url).port));
    client = createPaystackClient({
      baseUrl: `http://127.0.0.1:${proxy.port}`,
      secretKey: SECRET,
      timeoutMs: 1500,
      retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 },
      breaker: { consecutiveFailures: 1_000_000 },
    });
    app = await createTestApp({
      database: testDb.database,
      providers: { paystack: client },
      env: {
        PAYSTACK_SECRET_KEY: SECRET,
        PUBLIC_URL,
        RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
        ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
      },
    });
    trustTestPrincipalHeader(app);
    appUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    sandbox.control.setWebhookUrl(`${appUrl}/api/v1/hooks/paystack`);
    reconciler = createPaymentsService({
      db,
      ledger,
      audit: app.services.audit,
      webhooks: app.services.webhooks,
      paystack: client,
      paystackSecretKey: SECRET,
      publicUrl: PUBLIC_URL,
      ngnPerUsd: 1600,
      logger: silent,
      staleAfterMs: 0,
    });
  });
  afterAll(async () => {
    await app?.close();
    await sandbox?.close();
    await proxy?.close();
    await testDb?.dispose();
  });
  afterEach(async () => {
    sandbox.control.clearFaults();
    sandbox.control.setOutage(false);
    if (proxyCut) await restoreProxy();
    await sandbox.control.settled();
  });
}
