import { describe, expect, it } from 'vitest';
import { batched } from './batching.js';

describe('batched', () => {
  it('sends the calls of one turn of the event loop as one batch, each caller getting its own answer', async () => {
    const batches: number[][] = [];
    const double = batched(async (items: readonly number[]) => {
      batches.push([...items]);
      return items.map((n) => n * 2);
    });
    // Two calls now and one from a timer that has already fired are one turn; a later timer is not.
    const now = [double(1), double(2)];
    const later = new Promise<number>((resolve) => setTimeout(() => resolve(double(4)), 20));
    await expect(Promise.all(now)).resolves.toEqual([2, 4]);
    await expect(later).resolves.toBe(8);
    expect(batches).toEqual([[1, 2], [4]]);
  });

  it('a failed batch fails each of its callers, and the next batch runs afresh', async () => {
    let fail = true;
    const run = batched(async (items: readonly string[]) => {
      if (fail) throw new Error('database unavailable');
      return items.map((item) => item.toUpperCase());
    });
    const first = [run('a'), run('b')];
    for (const call of first) await expect(call).rejects.toThrow('database unavailable');
    fail = false;
    await expect(run('c')).resolves.toBe('C');
  });

  it('splits a large turn into batches of at most maxBatchSize', async () => {
    const sizes: number[] = [];
    const run = batched(
      async (items: readonly number[]) => {
        sizes.push(items.length);
        return [...items];
      },
      { maxBatchSize: 3 },
    );
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => run(n)));
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('runs at most inFlight batches at once; the calls made meanwhile go together in the next', async () => {
    const batches: number[][] = [];
    const releases: (() => void)[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const run = batched(
      async (items: readonly number[]) => {
        batches.push([...items]);
        mostAtOnce = Math.max(mostAtOnce, ++running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return [...items];
      },
      { inFlight: 1 },
    );
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const first = run(1);
    await turn();
    // The first batch is out: these three, over several turns, wait for it and go as one.
    const rest = [run(2), run(3)];
    await turn();
    rest.push(run(4));
    await turn();
    expect(batches).toEqual([[1]]);
    releases.shift()!();
    await expect(first).resolves.toBe(1);
    await turn();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    releases.shift()!();
    await expect(Promise.all(rest)).resolves.toEqual([2, 3, 4]);
    expect(mostAtOnce).toBe(1);
  });

  it('a failed batch lets the next one go', async () => {
    const run = batched(
      async (items: readonly number[]) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (items.includes(1)) throw new Error('connection lost');
        return [...items];
      },
      { inFlight: 1 },
    );
    const failing = run(1);
    await new Promise((resolve) => setImmediate(resolve));
    const next = run(2);
    await expect(failing).rejects.toThrow('connection lost');
    await expect(next).resolves.toBe(2);
  });
});
