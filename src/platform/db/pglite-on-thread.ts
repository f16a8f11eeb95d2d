/**
 * The embedded database (PGlite in a data folder) on a thread of its own. PGlite runs PostgreSQL
 * in WebAssembly on the thread that calls it: on the main thread its start (~0.9 s of a later
 * start) and then each statement held the HTTP server. On its own thread it starts while the
 * main thread loads the server's modules (the machine's second core), and a long sweep no longer
 * keeps requests waiting.
 *
 * The main thread sees the part of PGlite's interface that drizzle, the migrator and pg-boss use:
 * `query`, `exec`, `transaction`, `close`. A transaction is held open on the thread while its
 * callback runs here; PGlite runs one transaction or statement at a time, as in one thread.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite';
import { lockDataDirSync } from './data-dir-lock.js';

export type ThreadRequest =
  | {
      id: number;
      op: 'query';
      tx?: number;
      sql: string;
      params?: unknown[];
      rowMode?: 'array' | 'object';
      /** Types whose values stay text (the only parsers that cross: see `textTypesOf`). */
      textTypes: number[];
    }
  | { id: number; op: 'exec'; tx?: number; sql: string }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

export interface ThreadReply {
  id: number;
  ok: boolean;
  result?: unknown;
  /** An error's name, message and own fields (a DatabaseError's code, detail, constraint, …). */
  error?: { name: string; message: string } & Record<string, unknown>;
}

/** The first message a thread gets: the (locked) folder to open. */
export interface ThreadOpen {
  folder: string;
}

export type ThreadStarted = { started: true } | { started: false; error: ThreadReply['error'] };

/**
 * The thread `npm start`'s launcher (scripts/serve-bundle.cjs) started before it loaded the
 * server's modules, under this name; a server run otherwise starts its own.
 */
const LAUNCHED_THREAD = Symbol.for('namaskah.databaseThread');

function takeLaunchedThread(): Worker | undefined {
  const holder = globalThis as { [LAUNCHED_THREAD]?: Worker };
  const thread = holder[LAUNCHED_THREAD];
  delete holder[LAUNCHED_THREAD];
  return thread;
}

/** The thread's file beside this one: .js in the bundle and in dist/, .ts in the sources. */
const THREAD_FILE = new URL(
  `./pglite-thread${path.extname(new URL(import.meta.url).pathname)}`,
  import.meta.url,
);

/**
 * From the sources (tsx, or vitest, whose loader a thread does not inherit) the thread registers
 * tsx before it loads its file (Node 20 ignores `--import` in a thread's execArgv).
 */
function startThread(): Worker {
  if (!THREAD_FILE.pathname.endsWith('.ts')) return new Worker(THREAD_FILE);
  const load = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(THREAD_FILE.href)}); })`;
  return new Worker(load, { eval: true });
}

function errorFrom(described: ThreadReply['error']): Error {
  const { name, message, ...fields } = described ?? { name: 'Error', message: 'unknown error' };
  return Object.assign(new Error(message), fields, { name });
}

/**
 * drizzle asks for dates and intervals as text with parsers that return their input; functions
 * cannot cross threads, so the thread gets their types and applies the same identity parsers.
 */
const PROBE = 'namaskah-parser-probe';
function textTypesOf(parsers: QueryOptions['parsers']): number[] {
  if (!parsers) return [];
  return Object.entries(parsers).map(([type, parse]) => {
    if (parse(PROBE, Number(type)) !== PROBE) {
      throw new Error(`a parser for type ${type} is not the identity: it cannot run on the database thread`);
    }
    return Number(type);
  });
}

export class PgliteOnThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 1;
  private stopped: Error | undefined;
  /** Settles once PGlite is open (or failed to open) on the thread. */
  readonly ready: Promise<void>;
  /** Settles with the reason if the thread stops without `close` (a crash inside PGlite). */
  readonly lost: Promise<Error>;
  private closing = false;

  constructor(folder: string) {
    this.worker = takeLaunchedThread() ?? startThread();
    this.worker.postMessage({ folder } satisfies ThreadOpen);
    this.worker.ref();
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.once('message', (message: ThreadStarted) => {
        if (message.started) {
          this.worker.on('message', (reply: ThreadReply) => this.settle(reply));
          this.worker.unref();
          resolve();
        } else {
          // Reported through `ready`, not as a loss.
          this.closing = true;
          reject(errorFrom(message.error));
          void this.worker.terminate();
        }
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the embedded database stopped (exit ${code})`)));
    });
    // A thread that dies fails what waits on it, and everything asked after.
    let lose: (error: Error) => void = () => undefined;
    this.lost = new Promise((resolve) => (lose = resolve));
    const stopped = (error: Error) => {
      this.fail(error);
      if (!this.closing) lose(error);
    };
    this.worker.on('error', stopped);
    this.worker.on('exit', (code) => stopped(new Error(`the embedded database stopped (exit ${code})`)));
  }

  async query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.queryIn(undefined, sql, params, options);
  }

  async exec(sql: string): Promise<Results[]> {
    return (await this.request({ op: 'exec', sql })) as Results[];
  }

  async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    const id = this.nextId++;
    await this.request({ op: 'begin' }, id);
    const tx = {
      query: <R>(sql: string, params?: unknown[], options?: QueryOptions) =>
        this.queryIn<R>(id, sql, params, options),
      exec: async (sql: string) => (await this.request({ op: 'exec', tx: id, sql })) as Results[],
    } as Transaction;
    let result: T;
    try {
      result = await callback(tx);
    } catch (error) {
      // The callback's error is the one to report, even if the rollback cannot be sent.
      await this.request({ op: 'end', tx: id, commit: false }).catch(() => undefined);
      throw error;
    }
    await this.request({ op: 'end', tx: id, commit: true });
    return result;
  }

  async close(): Promise<void> {
    this.closing = true;
    const opened = await this.ready.then(
      () => true,
      () => false,
    );
    if (opened && !this.stopped) await this.request({ op: 'close' });
    await this.worker.terminate();
  }

  private async queryIn<T>(
    tx: number | undefined,
    sql: string,
    params: unknown[] | undefined,
    options: QueryOptions | undefined,
  ): Promise<Results<T>> {
    const request = {
      op: 'query' as const,
      sql,
      ...(tx === undefined ? {} : { tx }),
      ...(params === undefined ? {} : { params }),
      ...(options?.rowMode ? { rowMode: options.rowMode } : {}),
      textTypes: textTypesOf(options?.parsers),
    };
    return (await this.request(request)) as Results<T>;
  }

  private async request(
    request: DistributiveOmit<ThreadRequest, 'id'>,
    id = this.nextId++,
  ): Promise<unknown> {
    await this.ready;
    if (this.stopped) throw this.stopped;
    return new Promise((resolve, reject) => {
      // The thread keeps the process alive only while an answer is awaited, as a socket would.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ ...request, id });
      } catch (error) {
        // A value that cannot be copied to the thread (a function, a symbol): nothing was sent.
        this.settle({ id, ok: false, error: { name: 'TypeError', message: (error as Error).message } });
      }
    });
  }

  private settle(reply: ThreadReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(errorFrom(reply.error));
  }

  private fail(error: Error): void {
    this.stopped ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Opened {
  client: PgliteOnThread;
  unlock: () => Promise<void>;
}
let prestarted: { folder: string; opened: Opened } | { folder: string; failed: unknown } | undefined;

/**
 * Locks `dataDir` and starts its database on the thread, without waiting for it: called while the
 * server's modules are still being loaded (./prestart-embedded.ts), and taken by openDatabase. Statements
 * sent meanwhile wait for the database to be open.
 */
export function prestartPglite(dataDir: string): void {
  const folder = path.resolve(dataDir, 'pglite');
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's DATA_DIR setting
    mkdirSync(path.resolve(dataDir), { recursive: true });
    const release = lockDataDirSync(path.resolve(dataDir));
    let released: Promise<void> | undefined;
    const unlock = () => (released ??= release());
    const client = new PgliteOnThread(folder);
    // A database that could not open gives its folder back at once; its error reaches the server
    // through the first statement.
    client.ready.catch(() => unlock());
    prestarted = { folder, opened: { client, unlock } };
  } catch (error) {
    prestarted = { folder, failed: error };
  }
}

/** The database prestarted for `dataDir`, once (a second open of the folder starts its own). */
export function takePrestartedPglite(dataDir: string): Opened | undefined {
  const taken = prestarted;
  if (taken?.folder !== path.resolve(dataDir, 'pglite')) return undefined;
  prestarted = undefined;
  if ('failed' in taken) throw taken.failed;
  return taken.opened;
}

/** What `openDatabase` needs of a PGlite, in this thread or on its own. */
export type PgliteClient = Pick<PGlite, 'query' | 'exec' | 'transaction' | 'close'>;
