import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Per-service markup overrides set by admins; services without a row use the configured default. */
export const catalogPriceOverrides = pgTable(
  'catalog_price_overrides',
  {
    serviceName: text('service_name').primaryKey(),
    /** Basis points: 15000 = cost × 1.5. */
    markupBps: integer('markup_bps').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('catalog_price_overrides_markup_positive', sql`${t.markupBps} > 0`)],
);
