/**
 * The embedded database's own thread (see pglite-on-thread.ts): PGlite in a data folder, answering
 * the main thread's statements and transactions. It is started before the server knows its folder
 * (`npm start`'s launcher starts it first thing), so it loads PGlite's WebAssembly while it waits;
 * the main thread locks the folder, then sends it.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { PGlite, type PGliteOptions, type QueryOptions, type Transaction } from '@electric-sql/pglite';
import { PGLITE_START_PARAMS, seedPgliteFolder } from './pglite-template.js';
import type { ThreadOpen, ThreadReply, ThreadRequest, ThreadStarted } from './pglite-on-thread.js';

interface OpenTransaction {
  tx: Transaction;
  /** Settles the transaction's callback: commit, or roll back. */
  finish(commit: boolean): void;
  /** The request that ends it, answered once PGlite has committed or rolled back. */
  endRequest?: number;
}

const port = parentPort!;
const transactions = new Map<number, OpenTransaction>();
const ROLLED_BACK = Symbol('rolled back');

/** Only identity parsers cross the thread (drizzle's: it keeps dates as text), named by type. */
const parsersByTypes = new Map<string, QueryOptions['parsers']>();
function optionsOf(rowMode: 'array' | 'object' | undefined, textTypes: number[]): QueryOptions {
  const key = textTypes.join(',');
  let parsers = parsersByTypes.get(key);
  if (!parsers) {
    parsers = Object.fromEntries(textTypes.map((type) => [type, (value: string) => value]));
    parsersByTypes.set(key, parsers);
  }
  return rowMode ? { rowMode, parsers } : { parsers };
}

function describe(error: unknown): ThreadReply['error'] {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  // DatabaseError's fields (code, detail, constraint, …) are plain own properties.
  return {
    ...(Object.fromEntries(Object.entries(error)) as object),
    name: error.name,
    message: error.message,
  };
}

function reply(message: ThreadReply): void {
  try {
    port.postMessage(message);
  } catch (error) {
    // Something in it cannot be copied (a field of an error): the request still gets its answer.
    const { name, message: text } = message.error ?? (error as Error);
    port.postMessage({ id: message.id, ok: false, error: { name, message: text } } satisfies ThreadReply);
  }
}

function target(pg: PGlite, tx: number | undefined): PGlite | Transaction {
  if (tx === undefined) return pg;
  const open = transactions.get(tx);
  if (!open) throw new Error(`transaction ${tx} is not open`);
  return open.tx;
}

function begin(pg: PGlite, id: number): void {
  pg.transaction(
    (tx) =>
      new Promise<void>((commit, rollBack) => {
        transactions.set(id, { tx, finish: (ok) => (ok ? commit() : rollBack(ROLLED_BACK)) });
        reply({ id, ok: true });
      }),
  ).then(
    () => settled(id, undefined),
    (error: unknown) => settled(id, error),
  );
}

function settled(id: number, error: unknown): void {
  const open = transactions.get(id);
  transactions.delete(id);
  if (open?.endRequest === undefined) {
    // BEGIN itself failed: the callback never ran.
    reply({ id, ok: false, error: describe(error) });
    return;
  }
  if (error === undefined || error === ROLLED_BACK) reply({ id: open.endRequest, ok: true });
  else reply({ id: open.endRequest, ok: false, error: describe(error) });
}

async function answer(pg: PGlite, request: ThreadRequest): Promise<void> {
  const { id } = request;
  try {
    switch (request.op) {
      case 'query': {
        const options = optionsOf(request.rowMode, request.textTypes);
        const result = await target(pg, request.tx).query(request.sql, request.params, options);
        reply({ id, ok: true, result });
        return;
      }
      case 'exec':
        reply({ id, ok: true, result: await target(pg, request.tx).exec(request.sql) });
        return;
      case 'begin':
        begin(pg, id);
        return;
      case 'end': {
        const open = transactions.get(request.tx);
        if (!open) throw new Error(`transaction ${request.tx} is not open`);
        open.endRequest = id;
        open.finish(request.commit);
        return;
      }
      case 'close':
        await pg.close();
        reply({ id, ok: true });
        port.close();
        return;
    }
  } catch (error) {
    reply({ id, ok: false, error: describe(error) });
  }
}

/** Node's WebAssembly, which the production build's `lib` (no DOM) does not declare. */
const webAssembly = (
  globalThis as unknown as {
    WebAssembly: { compile(bytes: Uint8Array): Promise<PGliteOptions['pgliteWasmModule']> };
  }
).WebAssembly;

/**
 * PostgreSQL's WebAssembly (9 MB) read and compiled while the folder is not yet known. Without it
 * PGlite reads and compiles it itself, as it would have. (Its 6 MB file bundle is not read ahead:
 * handed over as a Blob it cost more to copy out again than PGlite's own read.)
 */
async function loadArtifacts(): Promise<Pick<PGliteOptions, 'pgliteWasmModule'>> {
  try {
    const dist = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- PGlite's own package folder
    return { pgliteWasmModule: await webAssembly.compile(await readFile(path.join(dist, 'pglite.wasm'))) };
  } catch {
    return {};
  }
}

async function open(folder: string, artifacts: ReturnType<typeof loadArtifacts>): Promise<void> {
  try {
    // A new folder starts as a copy of the initialised template (no initdb in this process).
    await seedPgliteFolder(folder);
    const pg = await PGlite.create(folder, { startParams: PGLITE_START_PARAMS, ...(await artifacts) });
    port.on('message', (request: ThreadRequest) => void answer(pg, request));
    port.postMessage({ started: true } satisfies ThreadStarted);
  } catch (error) {
    port.postMessage({ started: false, error: describe(error) } satisfies ThreadStarted);
  }
}

const artifacts = loadArtifacts();
port.once('message', ({ folder }: ThreadOpen) => void open(folder, artifacts));
