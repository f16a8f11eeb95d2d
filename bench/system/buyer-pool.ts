import type { Buyer } from './system.js';

/**
 * No buyer makes more than this many purchases in a whole benchmark run, so none holds more open
 * orders than a real user can: half the largest tier's limit (custom, 100). The orders stay open
 * (no SMS comes in a benchmark), and the open-order limit's count reads a user's open orders: a
 * buyer with 300 of them, as a 15,000-purchase warm-up on 50 buyers left, cost PostgreSQL 1.07 ms
 * of CPU per purchase against 0.85.
 */
export const MAX_PURCHASES_PER_BUYER = 50;

/**
 * The buyers of a round: `connections` lists, each of the buyers one connection sends for in turn,
 * in equal blocks (`buyerOfRequest`), each buyer on one connection only (one user's purchases one
 * after another). Buyers of earlier rounds are taken again while their total stays within
 * `max`; the rest are made (`make` signs new users in).
 */
export function buyerPool(make: (count: number) => Promise<Buyer[]>, max = MAX_PURCHASES_PER_BUYER) {
  const purchases = new Map<Buyer, number>();
  return async (
    connections: number,
    perConnection: number,
  ): Promise<{ connections: Buyer[][]; each: number }> => {
    const buyersEach = Math.ceil(perConnection / max);
    const each = Math.ceil(perConnection / buyersEach);
    const needed = connections * buyersEach;
    const again = [...purchases]
      .filter(([, made]) => made + each <= max)
      .map(([buyer]) => buyer)
      .slice(0, needed);
    const chosen = [...again, ...(await make(needed - again.length))];
    for (const buyer of chosen) purchases.set(buyer, (purchases.get(buyer) ?? 0) + each);
    return {
      connections: Array.from({ length: connections }, (_, c) =>
        chosen.slice(c * buyersEach, (c + 1) * buyersEach),
      ),
      each,
    };
  };
}
