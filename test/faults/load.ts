import { expect } from 'vitest';
import { waitUntilSettled } from './checks.js';
import { type Buyer, type FaultSystem, call, newKey } from './system.js';

/** Each buyer tops up `cents` (USD) through the real flow: initialize, pay at Paystack, webhook. */
export async function fundBuyers(system: FaultSystem, buyers: Buyer[], cents: number): Promise<void> {
  for (const buyer of buyers) {
    const created = await call(system.base, 'POST', '/api/v1/wallet/topups', {
      token: buyer.token,
      body: { amount: cents, currency: 'USD' },
      idempotencyKey: newKey(),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    system.paystack.control.pay(String(created.body.reference));
  }
  await waitUntilSettled(system, 60_000);
}

export interface Attempt {
  buyer: Buyer;
  key: string;
  status: number;
  ms: number;
  retryAfter: string | null;
  code: string | undefined;
  at: number;
}

export interface Load {
  /** Stops the buyers and answers every attempt (`unanswered`: no HTTP answer at all). */
  stop(): Promise<{ all: Attempt[]; unanswered: Attempt[] }>;
  /** Attempts so far (live view). */
  attempts: Attempt[];
}

/**
 * Every buyer buys a number after another (each with its own Idempotency-Key) until stopped.
 * With `stopOnNoAnswer` a buyer stops at its first request without an answer (the app is gone).
 */
export function purchaseLoad(
  system: FaultSystem,
  buyers: Buyer[],
  options: { stopOnNoAnswer?: boolean; pauseMs?: number; timeoutMs?: number } = {},
): Load {
  const attempts: Attempt[] = [];
  let stopping = false;
  const loops = buyers.map(async (buyer) => {
    while (!stopping) {
      const key = newKey();
      const answer = await call(system.base, 'POST', '/api/v1/verifications', {
        token: buyer.token,
        body: { service: 'whatsapp', country: 'US' },
        idempotencyKey: key,
        timeoutMs: options.timeoutMs ?? 30_000,
      });
      attempts.push({
        buyer,
        key,
        status: answer.status,
        ms: answer.ms,
        retryAfter: answer.retryAfter,
        code: answer.code,
        at: Date.now(),
      });
      if (answer.status <= 0 && options.stopOnNoAnswer) return;
      if (answer.status !== 201) await new Promise((resolve) => setTimeout(resolve, 200));
      else if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  });
  return {
    attempts,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return { all: attempts, unanswered: attempts.filter((a) => a.status <= 0) };
    },
  };
}
