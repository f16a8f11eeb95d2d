import { describe, expect, it } from 'vitest';
import { checkMoney, describeAnswers, openWork, reconcileUntilSettled } from './checks.js';
import { purchaseLoad } from './load.js';
import { type FaultContext, call, newKey } from './system.js';

/**
 * kill -9 of the app in the middle of purchases (the provider is slow, so many are between the
 * hold and the number) and of top-up settlements (Paystack's verify is slow, so webhooks are being
 * settled): after a restart nothing is lost or made twice, every order reaches a final state, every
 * payment is credited once, and the ledger and the money reconcile.
 */
export function killCases(context: () => FaultContext): void {
  describe('kill -9 of an instance', () => {
    it('mid-purchase and mid-top-up settlement: nothing lost or doubled; all settles after a restart', async () => {
      const { system, buyers } = context();
      const phaseStart = new Date();
      system.tv.control.setCreateLatency(1_500);
      const load = purchaseLoad(system, buyers, { stopOnNoAnswer: true });

      // Top-ups whose settlement (webhook → verify → credit) is in flight when the process dies.
      const references: string[] = [];
      for (const buyer of buyers) {
        const created = await call(system.base, 'POST', '/api/v1/wallet/topups', {
          token: buyer.token,
          body: { amount: 700, currency: 'USD' },
          idempotencyKey: newKey(),
        });
        expect(created.status).toBe(201);
        references.push(String(created.body.reference));
      }
      system.paystack.control.failNext({
        path: '/transaction/verify',
        mode: 'hang',
        hangMs: 4_000,
        times: 1_000,
      });
      for (const reference of references) system.paystack.control.pay(reference);
      await new Promise((resolve) => setTimeout(resolve, 1_500));

      const atKill = await openWork(system);
      const killedAt = Date.now();
      await system.killApp();
      const answers = await load.stop();
      console.log(
        `[kill -9] at the kill: ${JSON.stringify(atKill)}; clients saw ${describeAnswers(answers.all)}`,
      );
      // Work was really in flight: orders between hold and number, payments not yet credited.
      expect(atKill.openOrders).toBeGreaterThan(0);
      expect(atKill.uncreditedPaid).toBeGreaterThan(0);

      system.paystack.control.clearFaults();
      system.tv.control.setCreateLatency(0);
      const restarting = Date.now();
      await system.startApp();
      const restartMs = Date.now() - restarting;

      // Clients retry what got no answer with the same Idempotency-Key: the same order, never a
      // second. A key the dead process held answers 409 with Retry-After until its lease lapses.
      for (const attempt of answers.unanswered) {
        const retry = () =>
          call(system.base, 'POST', '/api/v1/verifications', {
            token: attempt.buyer.token,
            body: { service: 'whatsapp', country: 'US' },
            idempotencyKey: attempt.key,
          });
        let retried = await retry();
        const giveUpAt = Date.now() + 30_000;
        while (retried.status === 409 && retried.code === 'idempotency_key_in_use' && Date.now() < giveUpAt) {
          expect(Number(retried.retryAfter)).toBeGreaterThanOrEqual(1);
          await new Promise((resolve) => setTimeout(resolve, Number(retried.retryAfter) * 1000));
          retried = await retry();
        }
        expect([200, 201, 202, 503]).toContain(retried.status);
      }
      const keys = answers.all.length;
      const { rows } = await system.database.sql.query(
        'select count(*)::int as n from verifications where created_at >= $1',
        [phaseStart],
      );
      // At most one order per key (a key whose request never reached the database made none).
      expect(Number(rows[0]!.n)).toBeLessThanOrEqual(keys);

      const settled = reconcileUntilSettled(system, 180_000);
      const settleMs = await settled;
      console.log(
        `[kill -9] restart to /readyz ${(restartMs / 1000).toFixed(1)} s; everything settled ` +
          `${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (${(settleMs / 1000).toFixed(1)} s after the restart)`,
      );
      await checkMoney(system, 'kill -9');
    }, 420_000);
  });
}
