import { describe, expect, it } from 'vitest';
import { checkMoney, describeAnswers, openWork, reconcileUntilSettled } from './checks.js';
import { type FaultContext, call, newKey } from './system.js';

/**
 * TextVerified slow (beyond the client's timeout), failing (500s) and answering garbage while
 * the number is being bought: every client gets an answer in bounded time, and afterwards no hold
 * is left: each order ends bought (and, once its SMS came, captured) or failed (released).
 */
/** One purchase per buyer, at the same time; what each client got and how long it took. */
async function purchaseRound({ system, buyers }: FaultContext) {
  // Four at once: fewer than the five consecutive failures that open the client's circuit breaker.
  return Promise.all(
    buyers.slice(0, 4).map((buyer) =>
      call(system.base, 'POST', '/api/v1/verifications', {
        token: buyer.token,
        body: { service: 'whatsapp', country: 'US' },
        idempotencyKey: newKey(),
        timeoutMs: 60_000,
      }),
    ),
  );
}

/**
 * A purchase with the provider well: it closes the circuit breaker's count of consecutive failures
 * (5 open it for 30 s), so that each fault below reaches the provider instead of the open breaker.
 */
async function healthyPurchase({ system, buyers }: FaultContext) {
  const answer = await call(system.base, 'POST', '/api/v1/verifications', {
    token: buyers[0]!.token,
    body: { service: 'whatsapp', country: 'US' },
    idempotencyKey: newKey(),
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
}

export function providerCases(context: () => FaultContext): void {
  describe('the provider misbehaving', () => {
    it('slow, failing, garbage: bounded answers, and no hold left once the provider is back', async () => {
      const ctx = context();
      const { system, proxy } = ctx;
      const seen: string[] = [];

      system.tv.control.setCreateLatency(12_000);
      const slow = await purchaseRound(ctx);
      system.tv.control.setCreateLatency(0);
      seen.push(`slow (12 s, beyond the client's 10 s timeout): ${describeAnswers(slow)}`);
      await healthyPurchase(ctx);

      system.tv.control.injectFault({
        path: '/api/pub/v2/verifications',
        method: 'POST',
        mode: 'error',
        count: 1_000,
      });
      const failing = await purchaseRound(ctx);
      system.tv.control.clearFaults();
      seen.push(`failing (500 on create): ${describeAnswers(failing)}`);
      await healthyPurchase(ctx);

      proxy.garbage = true;
      const garbage = await purchaseRound(ctx);
      proxy.garbage = false;
      seen.push(`garbage (200 with a broken body, after the number was bought): ${describeAnswers(garbage)}`);

      const open = await openWork(system);
      console.log(`[provider] ${seen.join('; ')}; open afterwards: ${JSON.stringify(open)}`);
      for (const answer of [...slow, ...failing, ...garbage]) {
        // An answer, never a hang: the outcome is unknown, so the order stays pending (202) with its
        // hold, for the reconciler to ask again with the same key; never failed while maybe bought.
        expect(answer.status, JSON.stringify(answer.body)).toBe(202);
        expect(answer.ms).toBeLessThan(45_000);
      }

      const settleMs = await reconcileUntilSettled(system, 180_000);
      const { rows } = await system.database.sql.query(
        `select status, count(*)::int as n from verifications group by status order by status`,
      );
      console.log(
        `[provider] no hold left ${(settleMs / 1000).toFixed(1)} s after the provider was back; orders: ${JSON.stringify(rows)}`,
      );
      await checkMoney(system, 'provider faults');
    }, 420_000);
  });
}
