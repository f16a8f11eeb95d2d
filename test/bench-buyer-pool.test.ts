import { describe, expect, it } from 'vitest';
import { buyerPool } from '../bench/system/buyer-pool.js';
import { buyerOfRequest } from '../bench/system/load.js';
import type { Buyer } from '../bench/system/system.js';

/** The benchmark's buyers: none makes more purchases in a run than a real user could hold open. */
describe("the benchmark's buyer pool", () => {
  const counter = () => {
    let made = 0;
    const make = async (count: number): Promise<Buyer[]> =>
      Array.from({ length: count }, () => {
        made++;
        return { userId: `u${made}`, email: `u${made}@example.test`, token: `t${made}` };
      });
    return { make, made: () => made };
  };

  it('gives a connection several buyers in equal blocks when its purchases pass the cap', async () => {
    const { make, made } = counter();
    const take = buyerPool(make, 50);
    const round = await take(10, 204);
    expect(round.connections).toHaveLength(10);
    expect(round.connections.every((buyers) => buyers.length === 5)).toBe(true);
    expect(round.each).toBe(41);
    expect(made()).toBe(50);
    // Every buyer on one connection only.
    expect(new Set(round.connections.flat()).size).toBe(50);
  });

  it('takes buyers of earlier rounds again while they stay under the cap, then new ones', async () => {
    const { make, made } = counter();
    const take = buyerPool(make, 50);
    const first = await take(4, 20);
    const second = await take(4, 20);
    expect(second.connections.flat()).toEqual(first.connections.flat());
    expect(made()).toBe(4);
    const third = await take(4, 20);
    expect(made()).toBe(8);
    expect(third.connections.flat().some((b) => first.connections.flat().includes(b))).toBe(false);
  });

  it('sends each buyer its block of the connection, one buyer after another', () => {
    const buyers = Array.from({ length: 204 }, (_, request) => buyerOfRequest(5, 204, request));
    const perBuyer = [0, 1, 2, 3, 4].map((b) => buyers.filter((x) => x === b).length);
    expect(perBuyer).toEqual([41, 41, 41, 41, 40]);
    expect(buyers).toEqual([...buyers].sort((a, b) => a - b));
    expect(buyerOfRequest(1, 44, 43)).toBe(0);
  });
});
