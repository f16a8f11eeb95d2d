import { sql } from 'drizzle-orm';
import { check, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { PROVIDERS, type ProviderName } from './domain.js';

const providerList = sql.raw(PROVIDERS.map((p) => `'${p}'`).join(', '));

/**
 * Admins' routing rules, per service: pin one provider (only it sells the service) or disable
 * some. A service without a row is routed among every configured provider.
 */
export const providerRoutingRules = pgTable(
  'provider_routing_rules',
  {
    service: text('service').primaryKey(),
    pinned: text('pinned').$type<ProviderName>(),
    disabled: text('disabled')
      .array()
      .$type<ProviderName[]>()
      .notNull()
      .default(sql`'{}'::text[]`),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check(
      'provider_routing_rules_pinned_known',
      sql`${t.pinned} is null or ${t.pinned} in (${providerList})`,
    ),
    check('provider_routing_rules_disabled_known', sql`${t.disabled} <@ array[${providerList}]::text[]`),
  ],
);
