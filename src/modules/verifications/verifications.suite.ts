import { randomUUID } from 'node:crypto';
// Shared setup of the verifications integration tests (verifications.*.integration.test.ts): each
// file gets its own database, TextVerified sandbox and app.
import { smsReceivedWebhookBody } from '../../../test/support/textverified.js';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import type { Db } from '../../platform/db/database.js';
import type { Principal } from '../../platform/http/principal.js';
import {
  createTextVerifiedClient,
  signWebhookBody,
  type TextVerifiedClient,
} from '../../providers/textverified/index.js';
import { startTextVerifiedSandbox, type TextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import type { VerificationsService } from './service.js';
import type { VerificationView } from './views.js';
import { holdReference } from './domain.js';
import * as store from './store.js';
import { checkLedgerInvariants, createLedgerService } from '../ledger/index.js';
import { fundWallet } from '../../../test/support/wallet.js';

export const ledger = createLedgerService();

const SECRET = 'whsec_verifications_test';
const ENV = { TEXTVERIFIED_WEBHOOK_SECRET: SECRET, RATE_LIMIT_GLOBAL_PER_MINUTE: '0' };

let testDb: TestDatabase;
export let db: Db;
export let sandbox: TextVerifiedSandbox;
let client: TextVerifiedClient;
export let app: TestApp;
export let verificationService: VerificationsService;
export let hookUrl: string;

// ---- helpers ---------------------------------------------------------------------------------

export async function fund(userId: string, cents: number) {
  await fundWallet(db, userId, cents);
}

export async function fundedUser(cents = 10_000, tier = 'payg'): Promise<Principal> {
  const principal = testPrincipal({ tier });
  await fund(principal.userId, cents);
  return principal;
}

export function buy(
  principal: Principal,
  payload: Record<string, unknown> = { service: 'whatsapp', country: 'US' },
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/verifications',
    headers: { ...asPrincipal(principal), ...headers },
    payload,
  });
}

export async function bought(
  principal: Principal,
  payload?: Record<string, unknown>,
): Promise<VerificationView> {
  const response = await buy(principal, payload);
  expect(response.statusCode, response.body).toBe(201);
  const view = response.json<VerificationView>();
  expect(view.status).toBe('active');
  return view;
}

/** A purchase whose provider answer never comes back (the create happened upstream): 202 pending. */
export async function buyWithLostAnswer(
  principal: Principal,
  idempotencyKey: string,
): Promise<VerificationView> {
  sandbox.control.injectFault({
    path: '/api/pub/v2/verifications',
    method: 'POST',
    mode: 'hang',
    afterEffect: true,
  });
  const response = await buy(
    principal,
    { service: 'whatsapp', country: 'US' },
    { 'idempotency-key': idempotencyKey },
  );
  expect(response.statusCode, response.body).toBe(202);
  return response.json<VerificationView>();
}

export async function read(principal: Principal, id: string): Promise<VerificationView> {
  const response = await app.inject({ url: `/api/v1/verifications/${id}`, headers: asPrincipal(principal) });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<VerificationView>();
}

/** Phase 1's input for one purchase of `userId` (WhatsApp, US, 250 cents from USD). */
export const opening = (
  userId: string,
  overrides: Partial<store.OpenOrderInput> = {},
): store.OpenOrderInput => {
  const id = overrides.id ?? randomUUID();
  return {
    id,
    userId,
    maxOpenOrders: 5,
    service: 'whatsapp',
    country: 'US',
    capability: 'sms',
    options: {},
    priceCents: 250,
    providerCostCents: 200,
    provider: 'textverified',
    holdReference: holdReference(id),
    memo: 'Verification whatsapp',
    charges: [{ currency: 'USD', amount: 250 }],
    ...overrides,
  };
};

/** The file's database's address (for a connection of a test's own). */
export const suiteDatabaseUrl = () => testDb.url!;

export const providerIdOf = async (id: string) => (await store.findById(db, id))!.providerId!;
export const wallet = (userId: string) => ledger.walletSummary(db, userId);

export function signedSmsWebhook(sms: Parameters<typeof smsReceivedWebhookBody>[0]) {
  const body = smsReceivedWebhookBody(sms);
  return { body, signature: signWebhookBody(body, SECRET) };
}

export const postWebhook = (body: string, signature: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/hooks/textverified',
    headers: { 'content-type': 'application/json', 'x-webhook-signature': signature },
    payload: body,
  });

/** The expiry sweep's counter of deferred (or, past the bound, unchecked) expiries. */
export async function expiryDeferrals(outcome: 'deferred' | 'expired_unchecked'): Promise<number> {
  const metric = app.platform.metrics.registry.getSingleMetric(
    'namaskah_verification_expiry_deferrals_total',
  );
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

export async function expectLedgerOk() {
  const report = await checkLedgerInvariants(db);
  expect(report.violations).toEqual([]);
  expect(report.ok).toBe(true);
}

/** The file's database, TextVerified sandbox and app: call once at the top of each test file. */
export function useVerificationsSuite(): void {
  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(20);
    db = testDb.database.db;
    sandbox = await startTextVerifiedSandbox({
      apiKey: 'tv-key',
      username: 'ops@namaskah.test',
      webhookSecret: SECRET,
      smsDelayMs: 3_600_000, // SMS only on command
      maxUnfinished: 1_000_000,
      balanceCents: 1_000_000_000,
      hangMs: 2_000,
      webhookRetryBaseMs: 50,
    });
    sandbox.control.setStock('whatsapp', 1_000_000);
    client = createTextVerifiedClient({
      baseUrl: sandbox.url,
      apiKey: 'tv-key',
      username: 'ops@namaskah.test',
      timeoutMs: 800,
      retry: { retries: 1, initialDelayMs: 10, maxDelayMs: 20 },
      circuitBreaker: { consecutiveFailures: 1_000_000 },
    });
    app = await createTestApp({ database: testDb.database, providers: { textVerified: client }, env: ENV });
    trustTestPrincipalHeader(app);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    hookUrl = `${url}/api/v1/hooks/textverified`;
    sandbox.control.setWebhook(hookUrl);
    verificationService = app.services.verifications;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await sandbox?.close();
    await testDb?.dispose();
  });
  afterEach(() => {
    sandbox.control.clearFaults();
  });
}
