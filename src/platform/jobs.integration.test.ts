import { afterAll, describe, expect, it } from 'vitest';
import {
  type TestDatabase,
  createPgliteTestDatabase,
  createPostgresTestDatabase,
} from '../../test/support/database.js';
import { Jobs } from './jobs.js';

const quietLogger = { error: () => undefined, info: () => undefined };

/** pg-boss runs on both engines: the embedded default's PGlite and production PostgreSQL. */
describe.each([
  ['PostgreSQL', () => createPostgresTestDatabase(4)],
  ['PGlite', createPgliteTestDatabase],
])('durable jobs on %s', (_engine, open) => {
  const opened: TestDatabase[] = [];
  const running: Jobs[] = [];
  afterAll(async () => {
    for (const jobs of running) await jobs.stop();
    for (const db of opened) await db.dispose();
  });

  it('a sent job is processed, and a failing job is retried until it succeeds', async () => {
    const testDb = await open();
    opened.push(testDb);
    const jobs = new Jobs(testDb.database.sql, quietLogger);
    running.push(jobs);
    const seen: string[] = [];
    let failuresLeft = 1;
    jobs.define<{ word: string }>({ name: 'test.echo', handler: async ({ word }) => void seen.push(word) });
    jobs.define<{ word: string }>({
      name: 'test.flaky',
      retryLimit: 3,
      handler: async ({ word }) => {
        if (failuresLeft-- > 0) throw new Error('transient');
        seen.push(word);
      },
    });
    await jobs.start();
    await jobs.work();
    expect(await jobs.healthy()).toBe(true);
    await jobs.send('test.echo', { word: 'hello' });
    await jobs.send('test.flaky', { word: 'eventually' }, { retryDelay: 1, retryBackoff: false });
    await expect
      .poll(() => [...seen].sort(), { timeout: 20_000, interval: 200 })
      .toEqual(['eventually', 'hello']);
  }, 40_000);
});

describe('send-only (ROLE=web)', () => {
  it('sends jobs for the workers and runs none of the queue upkeep itself', async () => {
    const testDb = await createPostgresTestDatabase(4);
    const queues = async () =>
      (
        await testDb.database.sql.query(
          "select name from pgboss.queue where name like '\\_\\_pgboss%' order by name",
        )
      ).rows.map((row) => String(row.name));
    const web = new Jobs(testDb.database.sql, quietLogger, undefined, { sendOnly: true });
    web.define({ name: 'test.sent', handler: async () => undefined });
    try {
      await web.start();
      expect(await web.healthy()).toBe(true);
      expect(await web.send('test.sent', { word: 'hello' })).toEqual(expect.any(String));
      // The cron clock makes its own queue and works it; a send-only process starts neither.
      expect(await queues()).toEqual([]);
      const worker = new Jobs(testDb.database.sql, quietLogger);
      const seen: string[] = [];
      worker.define<{ word: string }>({
        name: 'test.sent',
        handler: async ({ word }) => void seen.push(word),
      });
      try {
        await worker.start();
        await worker.work();
        expect(await queues()).toEqual(['__pgboss__send-it']);
        await expect.poll(() => seen, { timeout: 20_000, interval: 200 }).toEqual(['hello']);
      } finally {
        await worker.stop();
      }
    } finally {
      await web.stop();
      await testDb.dispose();
    }
  }, 40_000);
});

describe('starting', () => {
  it('a cron job marked startNow runs as soon as the process works, not at the next minute; others wait', async () => {
    const testDb = await createPostgresTestDatabase(4);
    const jobs = new Jobs(testDb.database.sql, quietLogger);
    const ran: string[] = [];
    jobs.define({
      name: 'test.now',
      cron: '0 0 1 1 *',
      startNow: true,
      handler: async () => void ran.push('now'),
    });
    jobs.define({ name: 'test.later', cron: '0 0 1 1 *', handler: async () => void ran.push('later') });
    try {
      await jobs.start();
      await jobs.work();
      await expect.poll(() => ran, { timeout: 15_000, interval: 100 }).toEqual(['now']);
    } finally {
      await jobs.stop();
      await testDb.dispose();
    }
  }, 30_000);
});

describe('stopping', () => {
  it('tells long-running handlers to end, so a stop does not wait out their slot', async () => {
    const testDb = await createPgliteTestDatabase();
    const jobs = new Jobs(testDb.database.sql, quietLogger);
    let sawAbort = false;
    jobs.define({
      name: 'test.long',
      handler: async (_data, { signal }) => {
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        sawAbort = signal.aborted;
      },
    });
    await jobs.start();
    const running = jobs.runNow('test.long');
    const started = Date.now();
    await jobs.stop();
    await running;
    expect(sawAbort).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    await testDb.dispose();
  }, 30_000);
});
