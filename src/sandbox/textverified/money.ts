/**
 * Amounts on the wire are JSON numbers of dollars (`price`, `totalCost`, `currentBalance`,
 * `maxPrice`, contract §A.2); the sandbox keeps integer cents. Written here rather than shared
 * with the client, which converts the other way: a shared bug would cancel out unseen.
 */

/** Integer cents / 100 is the double nearest the exact amount, so it prints as `0.95`, `1.15`. */
export const dollars = (cents: number): number => cents / 100;

/**
 * "The request is rejected if the price is higher" than `maxPrice`. Compared as doubles, never
 * scaled to cents: `cents / 100` and a client's `1.15` parse to the same nearest double, while
 * `1.15 * 100` is 114.99999999999999. A sub-cent `maxPrice` (1.149) is honoured, not rounded.
 */
export const isAboveMaxPrice = (priceCents: number, maxPrice: number): boolean =>
  dollars(priceCents) > maxPrice;
