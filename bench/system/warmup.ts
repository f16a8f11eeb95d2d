/**
 * When a warm-up has reached the steady state: its chunks (equal numbers of purchases, one after
 * another) run at the same rate. A process's purchase path gets faster for thousands of purchases
 * after its start (the JIT compiles it, GC sizes its heap): measured, at 50 buyers, one instance, a
 * 500-purchase warm-up left the counted round at 1.45 ms of app CPU per purchase and 664/s, a
 * 6,000-purchase one at 0.73 ms and 903/s. So the warm-up goes on until the last `window` chunks'
 * rates are each within `tolerance` of their mean, after at least `minChunks`.
 */
export function isSteady(
  rates: readonly number[],
  {
    minChunks = 3,
    window = 3,
    tolerance = 0.05,
  }: { minChunks?: number; window?: number; tolerance?: number } = {},
): boolean {
  if (rates.length < Math.max(minChunks, window)) return false;
  const last = rates.slice(-window);
  const mean = last.reduce((sum, rate) => sum + rate, 0) / last.length;
  return last.every((rate) => Math.abs(rate - mean) <= tolerance * mean);
}
