import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { types } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from './database.js';
import { PgliteOnThread, prestartPglite, takePrestartedPglite } from './pglite-on-thread.js';

const roots: string[] = [];
function newDataDir(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'namaskah-thread-'));
  roots.push(root);
  return root;
}

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('the embedded database on its own thread', () => {
  let client: PgliteOnThread;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = newDataDir();
    client = new PgliteOnThread(path.join(dataDir, 'pglite'));
    await client.ready;
    await client.exec(`
      create table things (id serial primary key, name text unique not null, at timestamptz,
        doc jsonb, raw bytea, big bigint);
    `);
  }, 60_000);

  afterAll(async () => {
    await client.close();
  });

  it('answers statements with their rows, in either row mode, with the values PostgreSQL gave', async () => {
    await client.query('insert into things (name, at, doc, raw, big) values ($1, $2, $3, $4, $5)', [
      'first',
      '2026-12-02T08:00:00Z',
      { plan: 'pro', seats: [1, 2] },
      new Uint8Array([0, 255, 7]),
      9007199254740993n,
    ]);
    const objects = await client.query<{ name: string; doc: unknown; raw: Uint8Array; big: unknown }>(
      'select name, doc, raw, big from things where name = $1',
      ['first'],
    );
    expect(objects.rows).toEqual([
      {
        name: 'first',
        doc: { plan: 'pro', seats: [1, 2] },
        raw: new Uint8Array([0, 255, 7]),
        big: 9007199254740993n,
      },
    ]);
    const arrays = await client.query("select name, 40 + 2 as answer from things where name = 'first'", [], {
      rowMode: 'array',
    });
    expect(arrays.rows).toEqual([['first', 42]]);
    expect(arrays.fields.map((field) => field.name)).toEqual(['name', 'answer']);
  });

  it('keeps the types drizzle asks for as text as text, and refuses a parser that is not the identity', async () => {
    const kept = await client.query<{ at: unknown }>("select at from things where name = 'first'", [], {
      parsers: { [types.TIMESTAMPTZ]: (value: string) => value },
    });
    expect(typeof kept.rows[0]!.at).toBe('string');
    const parsed = await client.query<{ at: unknown }>("select at from things where name = 'first'");
    expect(parsed.rows[0]!.at).toBeInstanceOf(Date);
    await expect(
      client.query('select 1', [], { parsers: { [types.INT4]: (value: string) => Number(value) * 2 } }),
    ).rejects.toThrow(/not the identity/);
  });

  it("gives PostgreSQL's errors with their fields, as drizzle's callers read them", async () => {
    const error = (await client
      .query("insert into things (name) values ('first')")
      .catch((caught: unknown) => caught)) as Record<string, unknown>;
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: '23505', constraint: 'things_name_key', table: 'things' });
    expect(error.message).toMatch(/duplicate key/);
  });

  it('refuses a value that cannot reach the thread, and goes on', async () => {
    await expect(client.query('select $1::text', [() => 'a function'])).rejects.toThrow(
      /could not be cloned/,
    );
    expect((await client.query<{ n: number }>('select 1 as n')).rows).toEqual([{ n: 1 }]);
  });

  it('commits a transaction, and rolls one back when its callback throws, rethrowing what it threw', async () => {
    await client.transaction(async (tx) => {
      await tx.query("insert into things (name) values ('committed')");
    });
    const thrown = new Error('the caller changed its mind');
    await expect(
      client.transaction(async (tx) => {
        await tx.query("insert into things (name) values ('rolled back')");
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    const names = await client.query<{ name: string }>(
      "select name from things where name in ('committed', 'rolled back')",
    );
    expect(names.rows).toEqual([{ name: 'committed' }]);
  });

  it('reports a failed commit to the caller (a deferred constraint), and keeps nothing of it', async () => {
    await client.exec(`
      create table pairs (id int primary key, other int references pairs (id) deferrable initially deferred);
    `);
    await expect(
      client.transaction(async (tx) => {
        await tx.query('insert into pairs values (1, 2)');
      }),
    ).rejects.toMatchObject({ code: '23503' });
    expect((await client.query('select * from pairs')).rows).toEqual([]);
  });

  it('runs a statement sent during an open transaction after it, as one connection does', async () => {
    const order: string[] = [];
    let outside: Promise<unknown> | undefined;
    await client.transaction(async (tx) => {
      await tx.query("insert into things (name) values ('inside')");
      outside = client.query("select count(*)::int as n from things where name = 'inside'").then((result) => {
        order.push('outside');
        return result.rows[0];
      });
      await sleep(50);
      order.push('commit');
    });
    expect(await outside).toEqual({ n: 1 });
    expect(order).toEqual(['commit', 'outside']);
  });

  it('works under drizzle: statements, transactions, savepoints, isolation levels', async () => {
    const { drizzle } = await import('drizzle-orm/pglite');
    const db = drizzle({ client: client as never });
    await db.transaction(
      async (tx) => {
        await tx.execute(sql`insert into things (name) values ('drizzle outer')`);
        await tx
          .transaction(async (inner) => {
            await inner.execute(sql`insert into things (name) values ('drizzle inner')`);
            inner.rollback();
          })
          .catch(() => undefined);
      },
      { isolationLevel: 'repeatable read' },
    );
    const rows = await db.execute<{ name: string }>(sql`select name from things where name like 'drizzle%'`);
    expect(rows.rows).toEqual([{ name: 'drizzle outer' }]);
  });

  it('keeps this thread free while the database works', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await client.query('select pg_sleep(0.4)');
    clearInterval(timer);
    // In this thread PGlite would have held the event loop for the whole statement: no tick.
    expect(ticks).toBeGreaterThan(5);
  });
});

describe('opening and closing a data folder on the thread', () => {
  it('keeps the data, and gives the folder back on close', async () => {
    const dataDir = newDataDir();
    prestartPglite(dataDir);
    const first = await openDatabase({ kind: 'pglite', dataDir });
    await first.sql.exec("create table notes (body text); insert into notes values ('kept')");
    await first.close();
    await expect(first.sql.query('select 1')).rejects.toThrow(/stopped/);

    prestartPglite(dataDir);
    const again = await openDatabase({ kind: 'pglite', dataDir });
    expect((await again.sql.query('select body from notes')).rows).toEqual([{ body: 'kept' }]);
    await again.close();
  }, 60_000);

  it('refuses a folder another process holds, before any thread starts', async () => {
    const dataDir = newDataDir();
    prestartPglite(dataDir);
    const holder = await openDatabase({ kind: 'pglite', dataDir });
    try {
      // The prestart's lock is per process: a second one in this process stands for another.
      prestartPglite(dataDir);
      expect(() => takePrestartedPglite(dataDir)).toThrow(/in use by another Namaskah process/);
    } finally {
      await holder.close();
    }
  }, 60_000);

  it('says when its thread stops unasked, and fails what is asked after; a close is not a loss', async () => {
    const dataDir = newDataDir();
    const crashing = new PgliteOnThread(path.join(dataDir, 'pglite'));
    await crashing.ready;
    let lostTo: Error | undefined;
    void crashing.lost.then((error) => (lostTo = error));
    // As a crash inside PGlite would end it (private: nothing else may stop the thread).
    await (crashing as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(crashing.query('select 1')).rejects.toThrow(/embedded database stopped/);
    await vi.waitFor(() => expect(lostTo?.message).toMatch(/embedded database stopped/));

    const closed = new PgliteOnThread(path.join(newDataDir(), 'pglite'));
    await closed.ready;
    let closedLost = false;
    void closed.lost.then(() => (closedLost = true));
    await closed.close();
    await sleep(50);
    expect(closedLost).toBe(false);
  }, 60_000);

  it('fails every statement when the folder cannot be opened, and gives the folder back', async () => {
    const dataDir = newDataDir();
    // A file where the database's folder should be.
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a temporary folder of this test
    writeFileSync(path.join(dataDir, 'pglite'), 'not a folder');
    prestartPglite(dataDir);
    const database = await openDatabase({ kind: 'pglite', dataDir });
    await expect(database.migrate()).rejects.toThrow();
    await expect(database.sql.query('select 1')).rejects.toThrow();
    await database.close();
    // The folder was given back: it can be locked again.
    prestartPglite(dataDir);
    expect(() => takePrestartedPglite(dataDir)).not.toThrow();
  }, 60_000);
});
