import { Ajv } from 'ajv';
import { sql } from 'drizzle-orm';
import { eventually } from '../../../test/support/eventually.js';
import { describe, expect, it } from 'vitest';
import { asPrincipal, testPrincipal } from '../../../test/support/principal.js';
import { rawRows } from '../../platform/db/raw.js';
import { signWebhookBody } from '../../providers/textverified/index.js';
import type { VerificationView } from './views.js';
import {
  useVerificationsSuite,
  db,
  sandbox,
  app,
  verificationService,
  fund,
  fundedUser,
  buy,
  bought,
  read,
  providerIdOf,
  wallet,
  signedSmsWebhook,
  postWebhook,
  expectLedgerOk,
} from './verifications.suite.js';

useVerificationsSuite();

describe('catalogue', () => {
  it('lists services and countries and quotes by tier with integer rounding up', async () => {
    const services = await app.inject({ url: '/api/v1/catalog/services?country=US&q=whats' });
    expect(services.statusCode).toBe(200);
    expect(services.json<{ data: { name: string }[] }>().data.map((s) => s.name)).toEqual(['whatsapp']);
    const countries = await app.inject({ url: '/api/v1/catalog/countries' });
    expect(countries.json<{ data: unknown[] }>().data).toEqual([
      { code: 'US', name: 'United States', available: true },
    ]);

    // WhatsApp costs 0.95 upstream: × 1.5 = 142.5 → 143; pro × 0.85 = 121.55 → 122.
    const anonymous = await app.inject({ url: '/api/v1/catalog/quote?service=whatsapp&country=US' });
    expect(anonymous.json<{ price: unknown }>().price).toEqual({ amount: 143, currency: 'USD' });
    const pro = await app.inject({
      url: '/api/v1/catalog/quote?service=whatsapp&country=US',
      headers: asPrincipal(testPrincipal({ tier: 'pro' })),
    });
    expect(pro.json<{ price: unknown }>().price).toEqual({ amount: 122, currency: 'USD' });
    // payg: area code costs the provider +0.10 → 1.05 × 1.5 = 157.5 → 158, + 25 surcharge.
    const paygAreaCode = await app.inject({
      url: '/api/v1/catalog/quote?service=whatsapp&country=US&areaCode=415',
      headers: asPrincipal(testPrincipal({ tier: 'payg' })),
    });
    expect(paygAreaCode.json<{ price: unknown }>().price).toEqual({ amount: 183, currency: 'USD' });
    const freemiumAreaCode = await app.inject({
      url: '/api/v1/catalog/quote?service=whatsapp&country=US&areaCode=415',
      headers: asPrincipal(testPrincipal({ tier: 'freemium' })),
    });
    expect(freemiumAreaCode.statusCode).toBe(403);
    expect(freemiumAreaCode.json<{ error: { code: string } }>().error.code).toBe('tier_required');
  });
});

describe('purchase → SMS → completed', () => {
  it('charges once when the code arrives by webhook', async () => {
    const user = await fundedUser(1_000);
    const view = await bought(user);
    expect(view.price).toEqual({ amount: 143, currency: 'USD' });
    expect(view.phoneNumber).toMatch(/^\+1\d{10}$/);
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 143 });

    sandbox.control.deliverSms(await providerIdOf(view.id), {
      code: '482913',
      text: 'Your WhatsApp code is 482-913',
    });
    const done = await eventually(async () => {
      const v = await read(user, view.id);
      return v.status === 'completed' ? v : undefined;
    });
    expect(done.code).toBe('482913');
    expect(done.messages).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });

    // A second SMS on the same number is kept, and charges nothing more.
    sandbox.control.deliverSms(await providerIdOf(view.id), { text: 'Your WhatsApp code is 111-222' });
    await eventually(async () => ((await read(user, view.id)).messages!.length === 2 ? true : undefined));
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });
    await expectLedgerOk();
  });

  it('webhook and poller delivering the same SMS → one message, one capture', async () => {
    const user = await fundedUser(1_000);
    const view = await bought(user);
    const providerId = await providerIdOf(view.id);
    const sms = sandbox.control.deliverSms(providerId);
    await eventually(async () =>
      sandbox.control.webhooks().some((w) => w.delivered && w.body.includes(providerId)) ? true : undefined,
    );
    // The poller sees the same SMS (with its id) and the webhook is redelivered too.
    await verificationService.pollVerification({ provider: 'textverified', providerId });
    await verificationService.pollVerification({ provider: 'textverified', providerId });
    const { body, signature } = signedSmsWebhook(sms);
    expect((await postWebhook(body, signature)).statusCode).toBe(200);
    const final = await read(user, view.id);
    expect(final.status).toBe('completed');
    expect(final.messages).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - 143, held: 0 });
    await expectLedgerOk();
  });

  it('refuses a badly signed webhook', async () => {
    const { body } = signedSmsWebhook({
      createdAt: new Date(),
      smsContent: 'x',
      parsedCode: null,
      from: null,
      to: '1',
      reservationId: 'nope',
    });
    const response = await postWebhook(body, signWebhookBody(body, 'whsec_wrong'));
    expect(response.statusCode).toBe(401);
    expect((await postWebhook(body, '')).statusCode).toBe(401);
  });
});

describe('concurrency', () => {
  it('1000 concurrent purchases on a wallet that can afford 300 → exactly 300 succeed, the rest 402', async () => {
    await app.services.tiers.update('custom', { maxActiveOrders: 100_000, purchaseRatePerMinute: 100_000 });
    try {
      const user = testPrincipal({ tier: 'custom' });
      // custom: 0.95 × 1.5 = 143 × 0.75 = 107.25 → 108 cents.
      await fund(user.userId, 300 * 108);
      const responses = await Promise.all(Array.from({ length: 1000 }, () => buy(user)));
      const byStatus = new Map<number, number>();
      for (const r of responses) byStatus.set(r.statusCode, (byStatus.get(r.statusCode) ?? 0) + 1);
      // Accepted: 201 with the number, or 202 when the sandbox (in this process, 300 creates at
      // once on a loaded machine) did not answer within the client's 800 ms: the order stays
      // pending, held, and the reconciler finishes it with the same key.
      const accepted = (byStatus.get(201) ?? 0) + (byStatus.get(202) ?? 0);
      expect({ accepted, refused: byStatus.get(402) }).toEqual({ accepted: 300, refused: 700 });
      expect(byStatus.size).toBeLessThanOrEqual(3);
      await expect
        .poll(
          async () => {
            await verificationService.reconcilePending({ olderThanMs: 0 });
            const rows = await rawRows<{ status: string; n: number }>(
              db,
              sql`select status, count(*)::int as n from verifications where user_id = ${user.userId} group by status`,
            );
            return Object.fromEntries(rows.map((row) => [row.status, row.n]));
          },
          { timeout: 30_000, interval: 200 },
        )
        .toEqual({ active: 300 });
      expect(
        responses
          .filter((r) => r.statusCode === 402)
          .every((r) => r.json<{ error: { code: string } }>().error.code === 'insufficient_funds'),
      ).toBe(true);
      expect(await wallet(user.userId)).toEqual({ balance: 0, held: 300 * 108 });
      await expectLedgerOk();
    } finally {
      await app.services.tiers.update('custom', { maxActiveOrders: 100, purchaseRatePerMinute: 120 });
    }
  }, 180_000);
});

describe('OpenAPI', () => {
  interface JsonSchema {
    properties?: Record<string, JsonSchema>;
    items?: JsonSchema;
    required?: string[];
  }
  type Responses = Record<string, { content?: Record<string, { schema: JsonSchema }> }>;

  it('documents the shapes the verification routes answer with', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Responses }>>;
    }>();
    const schemaOf = (path: string, method: string, status: string): JsonSchema => {
      const schema = doc.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`${method} ${path} has no ${status} response schema`);
      return schema;
    };

    // What a user actually gets back is what the document promises, field for field.
    const user = await fundedUser(1_000);
    const view = await bought(user);
    sandbox.control.deliverSms(await providerIdOf(view.id), { code: '123456' });
    const read = await eventually(async () => {
      const v = await app.inject({ url: `/api/v1/verifications/${view.id}`, headers: asPrincipal(user) });
      const body = v.json<VerificationView>();
      return body.messages?.length ? body : undefined;
    });
    const single = schemaOf('/api/v1/verifications/{id}', 'get', '200');
    expect(Object.keys(single.properties!).sort()).toEqual(Object.keys(read).sort());
    expect(Object.keys(single.properties!.messages!.items!.properties!).sort()).toEqual(
      Object.keys(read.messages![0]!).sort(),
    );
    const withoutMessages = Object.keys(view).sort();
    expect([...single.required!].sort()).toEqual(withoutMessages);
    // And value for value, by a strict OpenAPI 3.0 reader (`nullable`, enums): a client generated
    // from the document accepts what the API sends (a `null` renewal once failed every answer).
    const validates = new Ajv({ strict: false, validateFormats: false }).compile(single);
    expect(validates(read), JSON.stringify(validates.errors)).toBe(true);
    expect(validates(view), JSON.stringify(validates.errors)).toBe(true);
    expect(validates({ ...read, renewal: 'sideways' })).toBe(false);

    for (const status of ['201', '202']) {
      expect(Object.keys(schemaOf('/api/v1/verifications', 'post', status).properties!).sort()).toEqual(
        Object.keys(single.properties!).sort(),
      );
    }
    const list = schemaOf('/api/v1/verifications', 'get', '200');
    expect(Object.keys(list.properties!).sort()).toEqual(['data', 'nextCursor']);
    expect(list.properties!.data!.items!.required).toEqual(single.required);
    for (const action of ['cancel', 'report']) {
      expect(schemaOf(`/api/v1/verifications/{id}/${action}`, 'post', '200').required).toEqual(
        single.required,
      );
    }
    const refused = schemaOf('/api/v1/verifications', 'post', '4XX');
    expect(Object.keys(refused.properties!.error!.properties!)).toEqual(
      expect.arrayContaining(['code', 'message']),
    );
  });
});
