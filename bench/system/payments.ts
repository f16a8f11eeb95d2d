import { randomUUID } from 'node:crypto';
import { type Answer, buy, call, summarize, type RoundResult } from './load.js';
import type { BenchSystem, Buyer } from './system.js';

/**
 * Top-ups and purchases mixed on ONE wallet, all at once: half the operations are top-ups through
 * the real Paystack flow (started as the route starts them, paid at the sandbox, which sends the
 * webhook; the app verifies and credits), half are purchases over HTTP. Then the top-up
 * reconciler's pass runs (what the minute cron would do for a webhook that did not land) and the
 * money is checked by the caller.
 */
export interface PaymentsRunResult {
  all: RoundResult;
  purchases: RoundResult;
  topups: { started: number; paid: number; creditedBeforeReconciler: number; credited: number };
  reconciled: Record<string, number>;
}

const TOPUP_CENTS = 500;

async function creditedCount(system: BenchSystem, references: string[]): Promise<number> {
  const { rows } = await system.database.sql.query(
    `select count(*)::int as n from payment_topups where status = 'succeeded' and reference = any($1)`,
    [references],
  );
  return Number(rows[0]!.n);
}

async function startTopup(system: BenchSystem, buyer: Buyer, cents: number): Promise<string> {
  const topup = await system.helper.services.payments.initializeTopup({
    userId: buyer.userId,
    email: buyer.email,
    amountUsdCents: cents,
    currency: 'USD',
    requestKey: randomUUID(),
  });
  await system.paystackControl(`/transactions/${encodeURIComponent(topup.reference)}/pay`);
  return topup.reference;
}

async function waitCredited(system: BenchSystem, references: string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let credited = 0;
  while (Date.now() < deadline) {
    credited = await creditedCount(system, references);
    if (credited === references.length) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return credited;
}

export async function paymentsRun(system: BenchSystem, operations: number): Promise<PaymentsRunResult> {
  const [buyer] = await system.buyers(1);
  const purchases = Math.floor(operations / 2);
  const topups = operations - purchases;
  // Enough money for every purchase before the mix starts (through the same Paystack flow), so a
  // purchase is never refused for a top-up still in flight.
  const price = 1_000; // above any tier's whatsapp price, in cents
  const opening: string[] = [];
  for (let left = purchases * price; left > 0; left -= 100_000) {
    opening.push(await startTopup(system, buyer!, Math.min(100_000, Math.max(100, left))));
  }
  if ((await waitCredited(system, opening, 60_000)) !== opening.length) {
    throw new Error('the opening top-ups were not credited within 60 s');
  }

  const references: string[] = [];
  const purchaseAnswers: Answer[] = [];
  const all: Answer[] = [];
  const started = performance.now();
  await Promise.all([
    ...Array.from({ length: topups }, async () => {
      const t0 = performance.now();
      try {
        references.push(await startTopup(system, buyer!, TOPUP_CENTS));
        all.push({ status: 201, ms: performance.now() - t0, body: {} });
      } catch (error) {
        all.push({ status: 0, ms: performance.now() - t0, body: { error: String(error) } });
      }
    }),
    ...Array.from({ length: purchases }, async () => {
      const answer = await buy(system, buyer!);
      purchaseAnswers.push(answer);
      all.push(answer);
    }),
  ]);
  const seconds = (performance.now() - started) / 1000;
  // The webhooks (and their retries) have their chance first; then the reconciler's pass.
  const creditedBeforeReconciler = await waitCredited(system, references, 30_000);
  const reconciled: Record<string, number> = {};
  for (;;) {
    const counts = await system.reconciler.reconcileTopups(1_000);
    const seen = Object.values(counts).reduce((a, b) => a + b, 0);
    for (const [outcome, n] of Object.entries(counts)) reconciled[outcome] = (reconciled[outcome] ?? 0) + n;
    if (seen < 1_000) break;
  }
  const credited = await creditedCount(system, references);
  // The wallet as its owner sees it, over HTTP: the read path agrees with the ledger.
  await call(system.base, 'GET', '/api/v1/wallet', { token: buyer!.token });
  return {
    all: summarize(all, seconds),
    purchases: summarize(purchaseAnswers, seconds),
    topups: { started: topups, paid: references.length, creditedBeforeReconciler, credited },
    reconciled,
  };
}
