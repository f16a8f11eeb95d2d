import pg from 'pg';
import { createTextVerifiedClient } from '../../src/providers/textverified/index.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { benchApp } from '../support.js';
import type { BenchSystem } from './system.js';

/**
 * The purchase's own SQL, captured rather than copied: one real purchase runs through the real
 * route in this process (an app on the benchmark database, the provider being the sandbox
 * process) while a hook on `pg.Client.prototype.query` records every statement it sends, with
 * its parameters and what came back. The pgbench script is generated from that record, so it
 * follows the code as it changes.
 *
 * Generation: parameters are inlined as literals cast to the type PostgreSQL infers for them
 * (asked with PREPARE), except
 *  - the buyer's id → an id per pgbench client (`:client_id`), whose wallet is funded beforehand;
 *  - a value an earlier statement returned (one row, an `…id` column) → `\gset` and that variable;
 *  - any other UUID (order id, idempotency key…) and the provider's order id → a fresh value per
 *    transaction (`\set` random, so no extra round trip), also inside arrays, longer strings and
 *    JSON.
 * The provider call between the two transactions is not database work and is left out.
 */
export interface CapturedStatement {
  text: string;
  values: (string | null)[];
  rows: Record<string, unknown>[];
}

export interface Capture {
  statements: CapturedStatement[];
  /** The provider's order id of the captured purchase (unique: the script must vary it). */
  providerId: string;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** The buyer of pgbench client `c` (0-based) and of the capture (client 0). */
export const ownerSql = `('00000000-0000-4000-8000-' || lpad((:client_id + 1)::text, 12, '0'))`;
export const ownerOf = (client: number) => `00000000-0000-4000-8000-${String(client + 1).padStart(12, '0')}`;

function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (Array.isArray(value)) {
    const items = value.map((item) => {
      const text = asText(item);
      return text === null ? 'NULL' : `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    });
    return `{${items.join(',')}}`;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

type QueryFn = (...args: unknown[]) => unknown;

/** Records the statements one purchase sends (after one unrecorded warm-up purchase). */
export async function capturePurchase(system: BenchSystem): Promise<Capture> {
  const database = await openDatabase({ kind: 'pg', url: system.databaseUrl, poolSize: 4 });
  const textVerified = createTextVerifiedClient({
    baseUrl: system.sandboxes.tv,
    apiKey: system.settings.tv.apiKey,
    username: system.settings.tv.username,
  });
  const app = await benchApp(database, {
    providers: { textVerified },
    env: { RATE_LIMIT_GLOBAL_PER_MINUTE: '0' },
  });
  const owner = ownerOf(0);
  // The capture is about the purchase's SQL, not sign-in: the buyer is named by a header (as in
  // bench:purchase; never outside benchmarks).
  app.addHook('onRequest', async (request) => {
    if (request.headers['x-bench-user'] === owner) {
      request.principal = {
        userId: owner,
        email: 'capture@bench.local',
        tier: 'payg',
        role: 'user',
        emailConfirmed: true,
        mfaEnabled: false,
        via: 'access_token',
      };
    }
  });
  await app.ready();
  const recorded: CapturedStatement[] = [];
  let recording = false;
  const prototype = pg.Client.prototype as unknown as { query: QueryFn };
  const original = prototype.query;
  prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const result = original.apply(this, args);
    if (!recording) return result;
    const [first, second] = args;
    // `query(text, values)`, `query(config)` or (drizzle) `query(config, values)`.
    const config = (typeof first === 'string' ? { text: first } : first) as {
      text: string;
      values?: unknown[];
    };
    const values = Array.isArray(second) ? (second as unknown[]) : (config.values ?? []);
    const entry: CapturedStatement = {
      text: config.text,
      values: values.map(asText),
      rows: [],
    };
    recorded.push(entry);
    if (result instanceof Promise) {
      void result.then(
        (answer: pg.QueryResult) => {
          // Drizzle asks for array rows: name them from the fields.
          entry.rows = answer.rows.map((row: unknown) =>
            Array.isArray(row)
              ? Object.fromEntries(answer.fields.map((field, i) => [field.name, row[i] as unknown]))
              : (row as Record<string, unknown>),
          );
        },
        () => undefined,
      );
    }
    return result;
  };
  try {
    const purchase = () =>
      app.inject({
        method: 'POST',
        url: '/api/v1/verifications',
        headers: { 'x-bench-user': owner, 'idempotency-key': crypto.randomUUID() },
        payload: { service: 'whatsapp', country: 'US' },
      });
    const warm = await purchase();
    if (warm.statusCode !== 201) throw new Error(`capture purchase: ${warm.statusCode} ${warm.body}`);
    recording = true;
    const measured = await purchase();
    recording = false;
    if (measured.statusCode !== 201)
      throw new Error(`capture purchase: ${measured.statusCode} ${measured.body}`);
    const { rows } = await database.sql.query('select provider_id from verifications where id = $1', [
      String((JSON.parse(measured.body) as { id: string }).id),
    ]);
    return { statements: recorded, providerId: String(rows[0]!.provider_id) };
  } finally {
    recording = false;
    prototype.query = original;
    await app.close();
    await database.close();
  }
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The pgbench script for a capture (PostgreSQL at `databaseUrl` tells the parameters' types). */
export async function pgbenchScript(
  databaseUrl: string,
  { statements, providerId }: Capture,
): Promise<{ script: string; statements: number; transactions: number; outside: number }> {
  const owner = ownerOf(0);
  const varying = providerId
    ? // eslint-disable-next-line security/detect-non-literal-regexp -- the id, escaped: a literal match
      new RegExp(`${providerId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|${UUID.source}`, 'gi')
    : UUID;
  const fresh = new Map<string, string>();
  const header: string[] = [];
  const freshVar = (value: string, kind: 'uuid' | 'text') => {
    let variable = fresh.get(value);
    if (!variable) {
      variable = `nb_r${fresh.size + 1}`;
      fresh.set(value, variable);
      header.push(`\\set ${variable} random(1, 281474976710655)`);
    }
    return kind === 'uuid'
      ? `('00000000-0000-4000-8000-' || lpad(to_hex(:${variable}), 12, '0'))`
      : `('bench-' || :${variable})`;
  };
  // Values returned by earlier statements (one row): value → variable.
  const returned = new Map<string, string>();
  const gsets = new Map<number, string>();
  const inRows = new Map<string, string>();
  const lines: string[] = [];
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let transactions = 0;
  // Statements outside any explicit transaction (each its own, autocommit).
  let outside = 0;
  let open = false;
  try {
    for (const [index, statement] of statements.entries()) {
      let types: string[] = [];
      if (statement.values.length > 0) {
        await client.query(`prepare nb_probe as ${statement.text}`);
        const described = await client.query<{ types: string[] }>(
          `select parameter_types::text[] as types from pg_prepared_statements where name = 'nb_probe'`,
        );
        types = described.rows[0]!.types;
        await client.query('deallocate nb_probe');
      }
      const expression = (value: string | null, type: string): string => {
        if (value === null) return `NULL::${type}`;
        if (value === owner) return `${ownerSql}::${type}`;
        // pgbench (simple protocol) puts a variable's text in place, quotes included.
        const known = returned.get(value);
        if (known) return `':${known}'::${type}`;
        const row = inRows.get(value);
        if (row) return `${row}::${type}`;
        // UUIDs and the provider's order id inside the value (alone, in an array, in JSON): the
        // buyer, or fresh per transaction.
        const parts: string[] = [];
        let last = 0;
        for (const match of value.matchAll(varying)) {
          if (match.index > last) parts.push(quote(value.slice(last, match.index)));
          const found = match[0];
          if (found === providerId) parts.push(freshVar(found, 'text'));
          else parts.push(found.toLowerCase() === owner ? ownerSql : freshVar(found.toLowerCase(), 'uuid'));
          last = match.index + found.length;
        }
        if (parts.length === 0) return `${quote(value)}::${type}`;
        if (last < value.length) parts.push(quote(value.slice(last)));
        return `(${parts.join(' || ')})::${type}`;
      };
      const sql = statement.text.replace(/\$(\d+)/g, (_, n: string) =>
        expression(statement.values[Number(n) - 1] ?? null, types[Number(n) - 1] ?? 'text'),
      );
      if (/^\s*begin\b/i.test(statement.text)) {
        transactions++;
        open = true;
      } else if (/^\s*(commit|rollback)\s*;?\s*$/i.test(statement.text)) open = false;
      else if (!open) outside++;
      lines.push(sql.replace(/;\s*$/, ''));
      // Several rows (e.g. the wallet's and escrow's ledger accounts): a later use of one of their
      // ids reads it again inside that statement, picking the row by its other columns.
      if (statement.rows.length > 1 && /^\s*select\b/i.test(statement.text)) {
        for (const row of statement.rows) {
          const where = Object.entries(row)
            .filter(([column, value]) => !/id$/i.test(column) || value === null || String(value) === owner)
            .filter(([, value]) => value === null || ['string', 'number', 'boolean'].includes(typeof value))
            .map(([column, value]) =>
              value === null
                ? `q."${column}" is null`
                : String(value) === owner
                  ? `q."${column}"::text = ${ownerSql}`
                  : `q."${column}"::text = ${quote(String(value))}`,
            );
          for (const [column, value] of Object.entries(row)) {
            if (!/id$/i.test(column) || value === null || String(value) === owner) continue;
            inRows.set(
              String(value as string),
              `(select q."${column}" from (${sql.replace(/;\s*$/, '')}) q where ${where.join(' and ')})`,
            );
          }
        }
      }
      // A single returned row whose ids later statements use: keep them in variables.
      if (statement.rows.length === 1) {
        const row = statement.rows[0]!;
        const used = Object.entries(row).filter(
          ([column, value]) =>
            /id$/i.test(column) &&
            value !== null &&
            String(value as string) !== owner &&
            statements.slice(index + 1).some((later) => later.values.includes(String(value as string))),
        );
        if (used.length > 0) {
          const prefix = `nb_s${index}_`;
          gsets.set(lines.length - 1, prefix);
          for (const [column, value] of used) returned.set(String(value as string), `${prefix}${column}`);
        }
      }
    }
  } finally {
    await client.end();
  }
  const body = lines.map((line, i) => {
    const gset = gsets.get(i);
    // pgbench: a command ends at `;` (or at \gset); one statement per command.
    return gset ? `${line} \\gset ${gset}` : `${line};`;
  });
  const script = [
    '-- Generated by bench/system/capture.ts from one real purchase (see there).',
    ...header,
    ...body,
    '',
  ].join('\n');
  return { script, statements: statements.length, transactions, outside };
}
