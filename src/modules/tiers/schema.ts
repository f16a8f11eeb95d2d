import { sql } from 'drizzle-orm';
import { bigint, boolean, check, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The tiers of SPEC §6: one row per tier, seeded by migration, the one source of truth for what a
 * tier costs and allows. Prices in cents, the price multiplier in basis points (10000 = ×1.00).
 */
export const tiers = pgTable(
  'tiers',
  {
    name: text('name').primaryKey(),
    displayName: text('display_name').notNull(),
    monthlyPriceCents: bigint('monthly_price_cents', { mode: 'number' }).notNull(),
    includedUsageCents: bigint('included_usage_cents', { mode: 'number' }).notNull().default(0),
    /** Free verifications granted at sign-up (freemium: 1). */
    signupCredits: integer('signup_credits').notNull().default(0),
    priceMultiplierBps: integer('price_multiplier_bps').notNull(),
    areaCodeAllowed: boolean('area_code_allowed').notNull(),
    areaCodeSurchargeCents: integer('area_code_surcharge_cents').notNull().default(0),
    carrierAllowed: boolean('carrier_allowed').notNull(),
    carrierSurchargeCents: integer('carrier_surcharge_cents').notNull().default(0),
    voiceAllowed: boolean('voice_allowed').notNull(),
    /** null = unlimited. */
    apiKeyLimit: integer('api_key_limit'),
    webhooksAllowed: boolean('webhooks_allowed').notNull(),
    maxActiveOrders: integer('max_active_orders').notNull(),
    purchaseRatePerMinute: integer('purchase_rate_per_minute').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('tiers_money_not_negative', sql`${t.monthlyPriceCents} >= 0 and ${t.includedUsageCents} >= 0`),
    check('tiers_multiplier_positive', sql`${t.priceMultiplierBps} > 0`),
    check(
      'tiers_surcharges_not_negative',
      sql`${t.areaCodeSurchargeCents} >= 0 and ${t.carrierSurchargeCents} >= 0`,
    ),
    check('tiers_limits_positive', sql`${t.maxActiveOrders} > 0 and ${t.purchaseRatePerMinute} > 0`),
  ],
);
