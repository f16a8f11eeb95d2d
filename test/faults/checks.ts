import { spawn } from 'node:child_process';
import path from 'node:path';
import PgBoss from 'pg-boss';
import { expect } from 'vitest';
import { RECONCILE_TOPUPS } from '../../src/modules/payments/index.js';
import { VERIFICATION_JOBS } from '../../src/modules/verifications/index.js';
import type { FaultSystem } from './system.js';

/** What every fault test ends with: `ledger:check`, then money paid in = wallets + held + revenue. */

const root = path.resolve(import.meta.dirname, '../..');

/** `npm run ledger:check` against the app's database, as an operator would run it. */
export async function runLedgerCheck(system: FaultSystem): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/modules/ledger/check-cli.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: system.databaseUrl,
      APP_SECRET: system.env.APP_SECRET!,
      LOG_LEVEL: 'silent',
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(output).toContain('All invariants hold.');
  expect(code).toBe(0);
  return output.trim();
}

export interface MoneyTotals {
  /** USD cents Paystack (the sandbox) says were paid. */
  paidIn: number;
  wallets: number;
  held: number;
  revenue: number;
  /** What the ledger says came in through Paystack (the clearing account's negative balance). */
  credited: number;
}

/** The sums, from the sandbox (what was paid) and from the ledger (where it is now), in USD cents. */
export async function moneyTotals(system: FaultSystem): Promise<MoneyTotals> {
  const paidIn = system.paystack.control
    .transactions()
    .filter((t) => t.status === 'success' && t.currency === 'USD')
    .reduce((sum, t) => sum + Number(t.amount), 0);
  const result = await system.database.sql.query(`
    select a.kind, coalesce(sum(e.amount), 0)::text as balance
      from ledger_accounts a left join ledger_entries e on e.account_id = a.id
     where a.currency = 'USD'
     group by a.kind`);
  const balance = (kind: string) => Number(result.rows.find((r) => r.kind === kind)?.balance ?? 0);
  return {
    paidIn,
    wallets: balance('wallet'),
    held: balance('escrow'),
    revenue: balance('revenue'),
    credited: -balance('paystack_clearing'),
  };
}

/** Ledger check, then the reconciliation; both printed for the report. */
export async function checkMoney(system: FaultSystem, label: string): Promise<MoneyTotals> {
  const ledger = await runLedgerCheck(system);
  const totals = await moneyTotals(system);
  console.log(`[${label}] ${ledger.replace(/\n/g, ' ')} Money: ${JSON.stringify(totals)}`);
  expect(totals.paidIn).toBeGreaterThan(0);
  expect(totals.credited).toBe(totals.paidIn);
  expect(totals.wallets + totals.held + totals.revenue).toBe(totals.paidIn);
  return totals;
}

export interface OpenWork {
  /** Orders not yet in a final state (pending or active). */
  openOrders: number;
  pendingHolds: number;
  /** Top-ups paid at Paystack but not credited (yet). */
  uncreditedPaid: number;
}

export async function openWork(system: FaultSystem): Promise<OpenWork> {
  const { rows } = await system.database.sql.query(`
    select (select count(*) from verifications where status in ('pending', 'active'))::int as orders,
           (select count(*) from ledger_holds where status = 'pending')::int as holds`);
  const paid = system.paystack.control
    .transactions()
    .filter((t) => t.status === 'success')
    .map((t) => String(t.reference));
  const credited = await system.database.sql.query(
    `select reference from payment_topups where status = 'succeeded'`,
  );
  const done = new Set(credited.rows.map((r) => String(r.reference)));
  return {
    openOrders: Number(rows[0]!.orders),
    pendingHolds: Number(rows[0]!.holds),
    uncreditedPaid: paid.filter((reference) => !done.has(reference)).length,
  };
}

/** Waits until every order is final, no hold is pending and every payment is credited. */
export async function waitUntilSettled(system: FaultSystem, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: OpenWork | undefined;
  while (Date.now() - started < timeoutMs) {
    last = await openWork(system).catch(() => undefined);
    if (last && last.openOrders === 0 && last.pendingHolds === 0 && last.uncreditedPaid === 0) {
      return Date.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`not settled after ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/**
 * Queues the reconcilers now (they run every minute on their own): the running app's workers
 * pick them up. The tests wait the reconcilers' staleness windows themselves; only the cron's
 * minute boundary is skipped.
 */
export async function queueReconcilers(system: FaultSystem): Promise<void> {
  const boss = new PgBoss({
    connectionString: system.databaseUrl,
    schema: 'pgboss',
    supervise: false,
    schedule: false,
    migrate: false,
  });
  boss.on('error', () => undefined);
  await boss.start();
  try {
    await boss.send(VERIFICATION_JOBS.reconcile, {});
    await boss.send(RECONCILE_TOPUPS, {});
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

/** Queues the reconcilers every few seconds (they run each minute anyway) until all is settled. */
export async function reconcileUntilSettled(system: FaultSystem, timeoutMs: number): Promise<number> {
  let done = false;
  const nudging = (async () => {
    while (!done) {
      await queueReconcilers(system).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  })();
  try {
    return await waitUntilSettled(system, timeoutMs);
  } finally {
    done = true;
    await nudging;
  }
}

/** A small summary of what clients saw: counts per status (and error code), slowest answer. */
export function describeAnswers(
  answers: { status: number; ms: number; code?: string | undefined }[],
): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const what = a.status === 0 ? 'no answer' : a.status === -1 ? 'client timeout' : String(a.status);
    const label = a.code ? `${what} ${a.code}` : what;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const slowest = Math.max(0, ...answers.map((a) => a.ms));
  const statuses = [...counts.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([label, n]) => `${label} ×${n}`)
    .join(', ');
  return `${answers.length} requests: ${statuses}; slowest ${(slowest / 1000).toFixed(1)} s`;
}
