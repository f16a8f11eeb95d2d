/** What the catalogue routes answer with: the zod schemas and the types inferred from them. */
import { z } from 'zod';
import { moneyIn } from '../../platform/money.js';
import { CAPABILITIES } from './domain.js';

const capability = z.enum(CAPABILITIES);
/** Catalogue prices are in USD cents. */
const usd = moneyIn(['USD']);

const catalogEntryView = z.object({
  name: z.string(),
  displayName: z.string(),
  category: z.string(),
  capabilities: z.array(capability),
});
export type CatalogEntry = z.infer<typeof catalogEntryView>;

const deliveryFigureView = z.object({
  orders: z.number().int().describe('Finished orders counted in the window.'),
  delivered: z.number().int().describe('Of those, the orders whose code arrived.'),
  successRate: z.number().min(0).max(1).describe('delivered / orders.'),
  medianSecondsToCode: z
    .number()
    .int()
    .nullable()
    .describe('Median seconds from purchase to the code among delivered orders; null when none was.'),
});

/**
 * Delivery figures from our own orders, every provider together. Counted: completed (delivered),
 * expired and canceled after a number was given (not delivered). A window with fewer orders than
 * the minimum sample is null.
 */
export const deliveryView = z
  .object({
    last24h: deliveryFigureView.nullable(),
    last7d: deliveryFigureView.nullable(),
  })
  .describe('Success rate and median time to the code; a window below the minimum sample is null.');
export type DeliveryView = z.infer<typeof deliveryView>;

/** A catalogue entry with what the caller's tier would pay for it and whether numbers are in stock. */
export const pricedServiceView = catalogEntryView.extend({
  price: usd
    .nullable()
    .describe('SMS without options for your tier (anonymous: payg); null when it could not be priced now.'),
  available: z
    .boolean()
    .nullable()
    .describe('The provider has numbers for it; null when that could not be checked now.'),
  delivery: deliveryView.describe(
    'Delivery figures for the country asked for (every country when none is), all providers together.',
  ),
});
export type PricedCatalogService = z.infer<typeof pricedServiceView>;

export const countryView = z.object({ code: z.string(), name: z.string(), available: z.boolean() });
export type Country = z.infer<typeof countryView>;

export const quoteView = z.object({
  service: z.string(),
  country: z.string(),
  capability,
  tier: z.string(),
  price: usd,
  breakdown: z.object({ base: z.number().int(), surcharges: z.number().int() }),
  delivery: deliveryView,
});
export type QuoteView = z.infer<typeof quoteView>;
