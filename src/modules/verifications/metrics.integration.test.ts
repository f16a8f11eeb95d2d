import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { createMetrics } from '../../platform/metrics.js';
import { registerVerificationMetrics } from './metrics.js';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createPostgresTestDatabase(2);
}, 60_000);
afterAll(async () => {
  await testDb?.dispose();
});

async function order(status: string, createdMinutesAgo: number, endsInMinutes: number | null) {
  await testDb.database.db.execute(sql`
    insert into verifications (id, user_id, service, country, capability, price_cents, charge_amount,
                               currency, provider_cost_cents, status, created_at, ends_at)
    values (${randomUUID()}, ${randomUUID()}, 'whatsapp', 'US', 'sms', 100, 100, 'USD', 60, ${status},
            now() - make_interval(mins => ${createdMinutesAgo}),
            ${endsInMinutes === null ? null : sql`now() + make_interval(mins => ${endsInMinutes})`})`);
}

async function stuck(metrics: ReturnType<typeof createMetrics>) {
  const { values } = await metrics.registry.getSingleMetric('namaskah_verifications_stuck')!.get();
  return Object.fromEntries(values.map((v) => [v.labels.status, v.value]));
}

describe('namaskah_verifications_stuck', () => {
  it('counts pending orders over five minutes old and active ones five minutes past their end, nothing else', async () => {
    const metrics = createMetrics();
    registerVerificationMetrics(metrics, testDb.database.db, 0);
    expect(await stuck(metrics)).toEqual({ pending: 0, active: 0 });

    await order('pending', 1, 19); // just bought: the reconciler still has time
    await order('pending', 6, 14); // outcome unknown for six minutes
    await order('active', 25, -1); // just past its end: the next sweep takes it
    await order('active', 40, -20); // twenty minutes past its end
    await order('active', 40, -30);
    await order('expired', 60, -40); // closed orders never count
    await order('completed', 60, -40);
    expect(await stuck(metrics)).toEqual({ pending: 1, active: 2 });
  });

  it('asks the database at most once per cache period', async () => {
    const metrics = createMetrics();
    registerVerificationMetrics(metrics, testDb.database.db, 60_000);
    const before = await stuck(metrics);
    await order('pending', 30, 0);
    expect(await stuck(metrics)).toEqual(before);
  });
});
