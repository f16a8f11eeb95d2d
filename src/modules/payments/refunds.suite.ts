// Shared helpers of the refund and chargeback tests (refunds.*.integration.test.ts): each file
// still gets its own database, sandbox and app from topups.suite.ts.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { eventually } from '../../../test/support/eventually.js';
import { testPrincipal } from '../../../test/support/principal.js';
import type { Principal } from '../../platform/http/principal.js';
import { checkLedgerInvariants } from '../ledger/index.js';
import { app, available, db, initialized, ledger, sandbox, testDb } from './topups.suite.js';

/** The administrator the service-level tests act as (the HTTP tests sign a real one in). */
export const ACTOR = { userId: randomUUID(), ip: null };

export const query = async <T>(text: string, values: unknown[] = []) =>
  (await testDb.database.sql.query(text, values)).rows as T[];

/** A top-up paid at the sandbox and credited (settled as the callback would), with its owner. */
export async function creditedTopup(
  cents = 500,
  currency?: 'USD' | 'NGN',
  user: Principal = testPrincipal(),
): Promise<{ user: Principal; reference: string }> {
  const topup = await initialized(user, cents, currency);
  sandbox.control.pay(topup.reference, { sendWebhook: false });
  const settled = await app.services.payments.settleTopup(topup.reference, 'callback');
  expect(settled.outcome).toBe('credited');
  expect(await available(user.userId)).toBe(cents);
  return { user, reference: topup.reference };
}

/** An administrator's refund through the service (`cents` omitted: in full). */
export function requestRefund(reference: string, cents?: number, requestKey: string = randomUUID()) {
  return app.services.payments.refundTopup({
    actor: ACTOR,
    reference,
    ...(cents === undefined ? {} : { amountUsdCents: cents }),
    reason: 'the customer asked for their money back',
    requestKey,
  });
}

export const historyOf = (reference: string) => app.services.payments.topupHistory(reference);

/** Waits until the top-up's refund `id` has `status`, and returns it. */
export function refundReaches(reference: string, id: string, status: string) {
  return eventually(
    async () => (await historyOf(reference)).refunds.find((r) => r.id === id && r.status === status),
    15_000,
  );
}

/** The Paystack id of our refund once Paystack named it. */
export async function paystackIdOf(reference: string, id: string): Promise<number> {
  return eventually(async () => {
    const refund = (await historyOf(reference)).refunds.find((r) => r.id === id);
    return refund?.paystackRefundId ?? undefined;
  }, 15_000);
}

/** Ledger transactions of `kind` posted for the top-up (refunds and chargebacks name it in their metadata). */
export async function postingsFor(reference: string, kind: 'refund' | 'chargeback') {
  const rows = await query<{ n: number }>(
    `select count(*)::int as n from ledger_transactions where kind = $1 and metadata->>'topupReference' = $2`,
    [kind, reference],
  );
  return rows[0]!.n;
}

export async function auditActions(subjectId: string) {
  return (await app.services.audit.list({ subjectId, limit: 200 })).map((entry) => entry.action).sort();
}

/** A purchase that spends `cents` of the wallet (a hold, captured), as a verification does. */
export async function spend(userId: string, cents: number): Promise<void> {
  await db.transaction(async (tx) => {
    const { hold } = await ledger.hold(tx, {
      ownerId: userId,
      amount: cents,
      reference: `test-purchase:${randomUUID()}`,
      memo: 'Test purchase',
    });
    await ledger.capture(tx, hold.id);
  });
}

export async function expectInvariants(): Promise<void> {
  const report = await checkLedgerInvariants(db);
  expect(report.violations).toEqual([]);
}

export const standingOf = (userId: string) => app.services.payments.accountStanding(userId);
