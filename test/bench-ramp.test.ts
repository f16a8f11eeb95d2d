import { describe, expect, it } from 'vitest';
import { splitRamp } from '../bench/system/load.js';

/** A purchase round's ramp (its synchronized start) counted apart from its steady state. */
describe("the benchmark's purchase-round ramp", () => {
  // Started at 1,000 ms; six answers: the two of the burst were slow, the rest steady.
  const run = {
    started: 1_000,
    answeredAt: [1_400, 1_450, 1_500, 1_600, 1_700, 1_800],
    answers: [400, 450, 100, 110, 120, 2_000].map((ms, i) => ({
      status: i === 5 ? 202 : 201,
      ms,
      body: {},
    })),
  };

  it('takes the first answers as the ramp, each part with its own rate, latencies and statuses', () => {
    const { ramp, counted } = splitRamp(run, 2);
    expect(ramp).toMatchObject({ count: 2, seconds: 0.45, p50: 400, p99: 450, statuses: { 201: 2 } });
    // From the ramp's last answer (1,450) to the last of all (1,800).
    expect(counted).toMatchObject({ count: 4, seconds: 0.35, p50: 110, p99: 2_000 });
    expect(counted.statuses).toEqual({ 201: 3, 202: 1 });
    expect(counted.perSecond).toBeCloseTo(4 / 0.35);
  });

  it('counts the whole run from its start without a ramp', () => {
    const { ramp, counted } = splitRamp(run, 0);
    expect(ramp.count).toBe(0);
    expect(counted).toMatchObject({ count: 6, seconds: 0.8 });
  });
});
