import { describe, expect, it } from 'vitest';
import { isSteady } from '../bench/system/warmup.js';

/** The benchmark's warm-up goes on until its chunks run at the same rate. */
describe("the benchmark's warm-up", () => {
  it('is not steady while the rate still climbs', () => {
    expect(isSteady([432, 639, 772])).toBe(false);
    expect(isSteady([432, 639, 772, 828, 908])).toBe(false);
  });

  it('is steady when the last three chunks are within 5 % of their mean', () => {
    expect(isSteady([432, 639, 772, 828, 908, 891, 893])).toBe(true);
    expect(isSteady([517, 686, 848, 851, 924, 766, 851, 876, 825])).toBe(true);
  });

  it('needs the least number of chunks, however flat they are', () => {
    expect(isSteady([800, 800])).toBe(false);
    expect(isSteady([800, 800, 800])).toBe(true);
    expect(isSteady([800, 800, 800, 800], { minChunks: 5 })).toBe(false);
  });
});
