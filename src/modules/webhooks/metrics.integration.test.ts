import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { createMetrics } from '../../platform/metrics.js';
import { registerWebhooksMetrics } from './metrics.js';

let testDb: TestDatabase;
let delivery: string;
beforeAll(async () => {
  testDb = await createPostgresTestDatabase(2);
  const { db } = testDb.database;
  const user = randomUUID();
  const endpoint = randomUUID();
  delivery = randomUUID();
  await db.execute(
    sql`insert into users (id, email, password_hash) values (${user}, 'dev@example.test', 'x')`,
  );
  await db.execute(sql`insert into webhook_endpoints (id, user_id, url, events, secret_sealed)
                       values (${endpoint}, ${user}, 'https://example.test/hook', '{*}', 'sealed')`);
  await db.execute(
    sql`insert into webhook_events (id, user_id, type, data) values ('evt_1', ${user}, 'test', '{}')`,
  );
  await db.execute(sql`insert into webhook_deliveries (id, event_id, endpoint_id, give_up_at)
                       values (${delivery}, 'evt_1', ${endpoint}, now() + interval '72 hours')`);
}, 60_000);
afterAll(async () => {
  await testDb?.dispose();
});

async function attempt(error: string | null, minutesAgo: number) {
  await testDb.database.db.execute(sql`
    insert into webhook_attempts (delivery_id, attempted_at, duration_ms, error)
    values (${delivery}, now() - make_interval(mins => ${minutesAgo}), 10, ${error})`);
}

async function read(metrics: ReturnType<typeof createMetrics>, name: string) {
  const { values } = await metrics.registry.getSingleMetric(name)!.get();
  return values.map((v) => ({ ...v.labels, value: v.value }));
}

describe('webhook delivery metrics', () => {
  it('count the attempts of the last fifteen minutes by outcome, and deliveries left overdue', async () => {
    const metrics = createMetrics();
    registerWebhooksMetrics(metrics, testDb.database.db, 0);
    expect(await read(metrics, 'namaskah_webhook_deliveries_overdue')).toEqual([{ value: 0 }]);

    await attempt('HTTP 500', 1);
    await attempt('timeout: no answer', 14);
    await attempt(null, 2);
    await attempt('HTTP 500', 30); // outside the window
    await testDb.database.db.execute(
      sql`update webhook_deliveries set next_attempt_at = now() - interval '6 minutes' where id = ${delivery}`,
    );
    expect(await read(metrics, 'namaskah_webhook_attempts_recent')).toEqual([
      { outcome: 'failed', value: 2 },
      { outcome: 'succeeded', value: 1 },
    ]);
    expect(await read(metrics, 'namaskah_webhook_deliveries_overdue')).toEqual([{ value: 1 }]);

    // Leased by a worker (delivering) or settled: no longer overdue.
    await testDb.database.db.execute(
      sql`update webhook_deliveries set status = 'delivering' where id = ${delivery}`,
    );
    expect(await read(metrics, 'namaskah_webhook_deliveries_overdue')).toEqual([{ value: 0 }]);
  });
});
