/**
 * The SMS-Activate-compatible API over HTTP (contracts §C) on real PostgreSQL, the TextVerified
 * sandbox behind the real client, and real API keys: each action's answer, each refusal's token,
 * and that the money moves exactly as through the REST API.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { eventually } from '../../../test/support/eventually.js';
import { fundWallet } from '../../../test/support/wallet.js';
import { createTextVerifiedClient } from '../../providers/textverified/index.js';
import { type TextVerifiedSandbox, startTextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import { checkLedgerInvariants } from '../ledger/index.js';

const TV_SECRET = 'whsec_sms_activate_test';
/** payg: 0.95 × 1.5 = 142.5 → 143 cents for WhatsApp. */
const WHATSAPP_PAYG = 143;

let testDb: TestDatabase;
let sandbox: TextVerifiedSandbox;
let app: TestApp;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(8);
  sandbox = await startTextVerifiedSandbox({
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    webhookSecret: TV_SECRET,
    smsDelayMs: 3_600_000, // SMS only on command
    balanceCents: 10_000_000,
    maxUnfinished: 1_000,
  });
  sandbox.control.setStock('whatsapp', 1_000);
  app = await createTestApp({
    database: testDb.database,
    providers: {
      textVerified: createTextVerifiedClient({
        baseUrl: sandbox.url,
        apiKey: 'tv-key',
        username: 'ops@namaskah.test',
        // 120 purchases at once: no breaker tripping on the sandbox's own slowness under that load.
        circuitBreaker: { consecutiveFailures: 1_000_000 },
      }),
    },
    env: { TEXTVERIFIED_WEBHOOK_SECRET: TV_SECRET, RATE_LIMIT_GLOBAL_PER_MINUTE: '0' },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  sandbox.control.setWebhook(`${url}/api/v1/hooks/textverified`);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await sandbox?.close();
  await testDb?.dispose();
});

const sql = async <T>(text: string, values: unknown[] = []) =>
  (await testDb.database.sql.query(text, values)).rows as T[];

interface Customer {
  userId: string;
  key: string;
}

/** A confirmed payg user with `cents` in the wallet (no free credit left) and an API key. */
async function customer(
  cents: number,
  scopes: Array<'wallet:read' | 'verifications:read' | 'verifications:write'> = [
    'wallet:read',
    'verifications:read',
    'verifications:write',
  ],
  tier = 'payg',
): Promise<Customer> {
  const user = await app.services.accounts.createUser({
    email: `sa-${randomUUID().slice(0, 8)}@example.test`,
    password: 'a long enough passphrase 7',
  });
  if (!user) throw new Error('user not created');
  await sql(`update users set email_confirmed_at = now(), tier = $2 where id = $1`, [user.id, tier]);
  // The free sign-up verification would pay for the first number; these tests are about money.
  await testDb.database.db.transaction((tx) =>
    app.services.ledger.adjust(tx, {
      ownerId: user.id,
      amount: -1,
      currency: 'CREDIT',
      memo: 'Test: no free credit',
    }),
  );
  if (cents > 0) await fundWallet(testDb.database.db, user.id, cents);
  const { key } = await app.services.apiKeys.create({
    userId: user.id,
    name: 'tool',
    scopes,
    ip: null,
  });
  return { userId: user.id, key };
}

/** One handler_api call the way SMS-Activate clients make it: query parameters, text answer. */
async function call(params: Record<string, string | number>, method: 'GET' | 'POST' = 'GET') {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  const response = await app.inject({ method, url: `/stubs/handler_api.php?${query}` });
  return { status: response.statusCode, body: response.body, type: response.headers['content-type'] };
}

const wallet = async (userId: string) => {
  const { balance, held } = await app.services.ledger.walletSummary(testDb.database.db, userId);
  return { balance, held };
};

const providerIdOf = async (serial: number) =>
  (
    await sql<{ provider_id: string }>(`select provider_id from verifications where serial = $1`, [serial])
  )[0]!.provider_id;

async function buy(c: Customer, extra: Record<string, string> = {}) {
  const answer = await call({ api_key: c.key, action: 'getNumber', service: 'wa', country: 187, ...extra });
  const match = /^ACCESS_NUMBER:(\d+):(\d+)$/.exec(answer.body);
  if (!match) throw new Error(`getNumber answered ${answer.body}`);
  return { id: Number(match[1]), phone: match[2]! };
}

describe('authentication', () => {
  it('answers BAD_KEY with HTTP 200 for a missing, unknown or revoked key', async () => {
    expect(await call({ action: 'getBalance' })).toMatchObject({ status: 200, body: 'BAD_KEY' });
    expect(await call({ api_key: 'nmk_live_nope', action: 'getBalance' })).toMatchObject({ body: 'BAD_KEY' });
    expect(await call({ api_key: 'garbage', action: 'getBalance' })).toMatchObject({ body: 'BAD_KEY' });
    const c = await customer(0);
    const [key] = await app.services.apiKeys.list(c.userId);
    await app.services.apiKeys.revoke(c.userId, key!.id, null);
    expect(await call({ api_key: c.key, action: 'getBalance' })).toMatchObject({ body: 'BAD_KEY' });
  });

  it('refuses a suspended account and a key without the needed scope', async () => {
    const reader = await customer(1_000, ['wallet:read', 'verifications:read']);
    expect((await call({ api_key: reader.key, action: 'getBalance' })).body).toBe('ACCESS_BALANCE:10.00');
    expect((await call({ api_key: reader.key, action: 'getNumber', service: 'wa' })).body).toBe('BAD_KEY');
    expect((await wallet(reader.userId)).held).toBe(0);
    await sql(`update users set status = 'suspended' where id = $1`, [reader.userId]);
    expect((await call({ api_key: reader.key, action: 'getBalance' })).body).toBe('BAD_KEY');
  });

  it('takes the key and action from a form body too (POST)', async () => {
    const c = await customer(250);
    const response = await app.inject({
      method: 'POST',
      url: '/stubs/handler_api.php',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `api_key=${encodeURIComponent(c.key)}&action=getBalance`,
    });
    expect(response.body).toBe('ACCESS_BALANCE:2.50');
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('answers BAD_ACTION for an unknown action', async () => {
    const c = await customer(0);
    expect((await call({ api_key: c.key, action: 'dropTables' })).body).toBe('BAD_ACTION');
    expect((await call({ api_key: c.key })).body).toBe('BAD_ACTION');
  });
});

describe('an activation from number to code', () => {
  it('buys, waits, receives the code, finishes; the wallet is charged once', async () => {
    const c = await customer(1_000);
    const { id, phone } = await buy(c);
    expect(phone).toMatch(/^1\d{10}$/);
    expect(await wallet(c.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: WHATSAPP_PAYG });
    expect((await call({ api_key: c.key, action: 'getStatus', id })).body).toBe('STATUS_WAIT_CODE');
    expect((await call({ api_key: c.key, action: 'getFullSms', id })).body).toBe('STATUS_WAIT_CODE');

    sandbox.control.deliverSms(await providerIdOf(id), { code: '482913' });
    await eventually(async () => {
      const status = (await call({ api_key: c.key, action: 'getStatus', id })).body;
      return status.startsWith('STATUS_OK') ? status : undefined;
    });
    expect((await call({ api_key: c.key, action: 'getStatus', id })).body).toBe('STATUS_OK:482913');
    expect((await call({ api_key: c.key, action: 'getFullSms', id })).body).toMatch(/^FULL_SMS:.*482-?913/);
    expect((await call({ api_key: c.key, action: 'setStatus', id, status: 6 })).body).toBe(
      'ACCESS_ACTIVATION',
    );
    expect(await wallet(c.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: 0 });
    expect((await call({ api_key: c.key, action: 'getBalance' })).body).toBe('ACCESS_BALANCE:8.57');
  });

  it('setStatus 3 waits for a newer code on the same number, at no charge', async () => {
    const c = await customer(1_000);
    const { id } = await buy(c);
    const providerId = await providerIdOf(id);
    sandbox.control.deliverSms(providerId, { code: '111111' });
    await eventually(async () =>
      (await call({ api_key: c.key, action: 'getStatus', id })).body === 'STATUS_OK:111111'
        ? true
        : undefined,
    );
    expect((await call({ api_key: c.key, action: 'setStatus', id, status: 3 })).body).toBe(
      'ACCESS_RETRY_GET',
    );
    expect((await call({ api_key: c.key, action: 'getStatus', id })).body).toBe('STATUS_WAIT_RETRY:111111');
    sandbox.control.deliverSms(providerId, { code: '222222' });
    await eventually(async () =>
      (await call({ api_key: c.key, action: 'getStatus', id })).body === 'STATUS_OK:222222'
        ? true
        : undefined,
    );
    expect(await wallet(c.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: 0 });
  });

  it('setStatus 8 cancels before the code and gives the money back', async () => {
    const c = await customer(1_000);
    const { id } = await buy(c);
    expect((await call({ api_key: c.key, action: 'setStatus', id, status: 6 })).body).toBe('BAD_STATUS');
    expect((await call({ api_key: c.key, action: 'setStatus', id, status: 1 })).body).toBe('ACCESS_READY');
    expect((await call({ api_key: c.key, action: 'setStatus', id, status: 8 })).body).toBe('ACCESS_CANCEL');
    expect((await call({ api_key: c.key, action: 'getStatus', id })).body).toBe('STATUS_CANCEL');
    expect(await wallet(c.userId)).toEqual({ balance: 1_000, held: 0 });
    // Asked twice: the same answer, refunded once.
    expect((await call({ api_key: c.key, action: 'setStatus', id, status: 8 })).body).toBe('ACCESS_CANCEL');
    expect(await wallet(c.userId)).toEqual({ balance: 1_000, held: 0 });
    expect((await call({ api_key: c.key, action: 'setStatus', id, status: 42 })).body).toBe('BAD_STATUS');
  });

  it('getNumberV2 and getStatusV2 answer JSON', async () => {
    const c = await customer(1_000);
    const answer = await call({ api_key: c.key, action: 'getNumberV2', service: 'wa', country: 187 });
    expect(answer.type).toMatch(/^application\/json/);
    const v2 = JSON.parse(answer.body) as {
      activationId: number;
      phoneNumber: string;
      activationCost: string;
    };
    expect(v2).toMatchObject({ activationCost: '1.43', countryCode: '187', canGetAnotherSms: true });
    sandbox.control.deliverSms(await providerIdOf(v2.activationId), { code: '765432' });
    const status = await eventually(async () => {
      const body = JSON.parse(
        (await call({ api_key: c.key, action: 'getStatusV2', id: v2.activationId })).body,
      ) as {
        sms: { code: string } | null;
      };
      return body.sms ? body : undefined;
    });
    expect(status.sms?.code).toBe('765432');
    const active = JSON.parse((await call({ api_key: c.key, action: 'getActiveActivations' })).body) as {
      activeActivations: Array<{ activationId: number; smsCode: string | null }>;
    };
    expect(active.activeActivations).toEqual([
      expect.objectContaining({ activationId: v2.activationId, smsCode: '765432' }),
    ]);
  });
});

describe('refusals as tokens', () => {
  it('NO_BALANCE, BAD_SERVICE, WRONG_MAX_PRICE, NO_NUMBERS, NO_ACTIVATION', async () => {
    const poor = await customer(100);
    expect((await call({ api_key: poor.key, action: 'getNumber', service: 'wa', country: 187 })).body).toBe(
      'NO_BALANCE',
    );
    const c = await customer(1_000);
    expect((await call({ api_key: c.key, action: 'getNumber', service: 'zz-unknown' })).body).toBe(
      'BAD_SERVICE',
    );
    expect((await call({ api_key: c.key, action: 'getNumber' })).body).toBe('BAD_SERVICE');
    expect((await call({ api_key: c.key, action: 'getNumber', service: 'wa', maxPrice: '1.00' })).body).toBe(
      'WRONG_MAX_PRICE:1.43',
    );
    expect((await call({ api_key: c.key, action: 'getNumber', service: 'wa', country: 999 })).body).toBe(
      'NO_NUMBERS',
    );
    sandbox.control.setStock('telegram', 0);
    expect((await call({ api_key: c.key, action: 'getNumber', service: 'tg' })).body).toBe('NO_NUMBERS');
    sandbox.control.setStock('telegram', 100);
    const other = await customer(1_000);
    const { id } = await buy(other);
    expect((await call({ api_key: c.key, action: 'getStatus', id })).body).toBe('NO_ACTIVATION');
    expect((await call({ api_key: c.key, action: 'setStatus', id, status: 8 })).body).toBe('NO_ACTIVATION');
    expect((await call({ api_key: c.key, action: 'getStatus', id: 'abc' })).body).toBe('NO_ACTIVATION');
    expect(await wallet(c.userId)).toEqual({ balance: 1_000, held: 0 });
  });

  it('accepts maxPrice at or above the price', async () => {
    const c = await customer(1_000);
    await buy(c, { maxPrice: '1.43' });
    expect((await wallet(c.userId)).held).toBe(WHATSAPP_PAYG);
  });
});

describe('prices and stock', () => {
  it('getPrices and getNumbersStatus list the catalogue by SMS-Activate codes', async () => {
    const c = await customer(0);
    const prices = JSON.parse(
      (await call({ api_key: c.key, action: 'getPrices', country: 187 })).body,
    ) as Record<string, Record<string, { cost: number; count: number }>>;
    expect(prices['187']?.wa).toEqual({ cost: 1.43, count: expect.any(Number) });
    const one = JSON.parse(
      (await call({ api_key: c.key, action: 'getPrices', service: 'wa' })).body,
    ) as Record<string, Record<string, unknown>>;
    expect(Object.keys(one['187']!)).toEqual(['wa']);
    const stock = JSON.parse(
      (await call({ api_key: c.key, action: 'getNumbersStatus', country: 187 })).body,
    ) as Record<string, number>;
    expect(stock.wa_0).toBeGreaterThan(0);
    const countries = JSON.parse((await call({ api_key: c.key, action: 'getCountries' })).body) as Record<
      string,
      { eng: string }
    >;
    expect(countries['187']?.eng).toBe('United States');
  });
});

describe('money under concurrency', () => {
  it('handler_api and REST purchases racing on one wallet never overspend it', async () => {
    await app.services.tiers.update('custom', { maxActiveOrders: 100_000, purchaseRatePerMinute: 100_000 });
    try {
      // custom: 0.95 × 1.5 = 143 × 0.75 = 107.25 → 108 cents; the wallet affords 30.
      const c = await customer(30 * 108, undefined, 'custom');
      const attempts = Array.from({ length: 120 }, (_, i) =>
        i % 2 === 0
          ? call({ api_key: c.key, action: 'getNumber', service: 'wa', country: 187 }).then((a) => a.body)
          : app
              .inject({
                method: 'POST',
                url: '/api/v1/verifications',
                headers: { authorization: `Bearer ${c.key}` },
                payload: { service: 'whatsapp', country: 'US' },
              })
              .then((r) =>
                r.statusCode === 201 ? 'ACCESS_NUMBER' : r.json<{ error: { code: string } }>().error.code,
              ),
      );
      const answers = await Promise.all(attempts);
      const bought = answers.filter((a) => a.startsWith('ACCESS_NUMBER')).length;
      const refused = answers.filter((a) => a === 'NO_BALANCE' || a === 'insufficient_funds').length;
      expect({ bought, refused }).toEqual({ bought: 30, refused: 90 });
      expect(await wallet(c.userId)).toEqual({ balance: 0, held: 30 * 108 });
      const report = await checkLedgerInvariants(testDb.database.db);
      expect(report.violations).toEqual([]);
    } finally {
      await app.services.tiers.update('custom', { maxActiveOrders: 100, purchaseRatePerMinute: 120 });
    }
  }, 120_000);
});
