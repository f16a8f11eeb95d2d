import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { type TcpProxy, startTcpProxy } from '../../../test/support/tcp-proxy.js';
import { type Database, openDatabase } from './database.js';
import { createLedgerService } from '../../modules/ledger/index.js';
import { fundWallet } from '../../../test/support/wallet.js';

const ledger = createLedgerService();

/**
 * The database vanishes in the middle of a money-moving request: the caller gets a clear 503,
 * readiness says unavailable, the process keeps running, and nothing half-written remains.
 */
describe('database going away mid-request', () => {
  let direct: TestDatabase;
  let proxy: TcpProxy;
  let proxied: Database;
  let app: FastifyInstance;
  const owner = randomUUID();
  let reachedSleep: () => void = () => undefined;

  beforeAll(async () => {
    direct = await createPostgresTestDatabase(2);
    await fundWallet(direct.database.db, owner, 1000);
    const url = new URL(direct.url!);
    proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    proxied = await openDatabase(
      { kind: 'pg', url: url.toString(), poolSize: 4 },
      { connectionTimeoutMs: 1_000 },
    );
    app = await createTestApp({ database: proxied });
    app.post('/test/slow-hold', async () => {
      await proxied.db.transaction(async (tx) => {
        await ledger.hold(tx, {
          ownerId: owner,
          amount: 400,
          reference: `outage:${randomUUID()}`,
          memo: 'hold',
        });
        reachedSleep();
        await tx.execute(sql`select pg_sleep(5)`);
      });
      return { ok: true };
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await proxied?.close().catch(() => undefined);
    await proxy?.close();
    await direct?.dispose();
  });

  it('answers 503 JSON, reports not ready, keeps running, and leaves no partial ledger write', async () => {
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);

    const midRequest = new Promise<void>((resolve) => (reachedSleep = resolve));
    const pending = app.inject({ method: 'POST', url: '/test/slow-hold' });
    await midRequest;
    await proxy.cut();
    const response = await pending;
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: { code: 'service_unavailable', message: expect.any(String) } });
    expect(response.body).not.toMatch(/at .*\.ts|stack|Connection terminated/);

    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable', checks: { database: 'down' } });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);

    const later = await app.inject({ method: 'POST', url: '/test/slow-hold' });
    expect(later.statusCode).toBe(503);

    // Nothing of the interrupted hold survived.
    expect(await ledger.walletSummary(direct.database.db, owner)).toEqual({ balance: 1000, held: 0 });

    await proxy.restore();
    await expect
      .poll(async () => (await app.inject({ url: '/readyz' })).statusCode, { timeout: 10_000 })
      .toBe(200);
  });
});
