import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerOf, pgbenchScript } from '../bench/system/capture.js';
import { type TestDatabase, createPostgresTestDatabase } from './support/database.js';

/**
 * The benchmark's pgbench script comes from a captured purchase: values that must differ per
 * transaction (ids, the provider's order id) are made fresh wherever they sit, or pgbench's
 * transactions collide on unique keys and the "own SQL" figure is lost.
 */
describe('the pgbench script of a captured purchase', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(2);
  });
  afterAll(async () => {
    await testDb?.dispose();
  });

  it('makes the order id and the provider order id fresh, alone or inside arrays, and keeps the buyer per client', async () => {
    const order = randomUUID();
    const providerId = `ver_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const { script, statements, outside } = await pgbenchScript(testDb.url!, {
      providerId,
      statements: [
        {
          text: 'select count(*) from verifications where user_id = $1 and id = $2',
          values: [ownerOf(0), order],
          rows: [],
        },
        {
          text: `update verifications set provider_id = a.provider_id
                   from unnest($1::uuid[], $2::text[]) as a(id, provider_id) where verifications.id = a.id`,
          values: [`{"${order}"}`, `{"${providerId}"}`],
          rows: [],
        },
        { text: 'select id from verifications where provider_id = $1', values: [providerId], rows: [] },
      ],
    });
    expect({ statements, outside }).toEqual({ statements: 3, outside: 3 });
    expect(script).not.toContain(order);
    expect(script).not.toContain(providerId);
    expect(script).not.toContain(ownerOf(0));
    expect(script).toContain(':client_id');
    // One variable for the order id and one for the provider's, each used wherever its value was.
    const variables = [...script.matchAll(/\\set (nb_r\d+) random/g)].map((m) => m[1]!);
    expect(variables).toHaveLength(2);
    for (const variable of variables) expect(script.split(`:${variable}`).length - 1).toBe(2);
  });
});
