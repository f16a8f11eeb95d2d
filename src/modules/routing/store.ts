import { eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import type { RoutingRule } from './domain.js';
import { providerRoutingRules } from './schema.js';

/** Every routing rule (a small table, read whole). */
export async function rules(db: Db): Promise<RoutingRule[]> {
  const rows = await db
    .select({
      service: providerRoutingRules.service,
      pinned: providerRoutingRules.pinned,
      disabled: providerRoutingRules.disabled,
    })
    .from(providerRoutingRules)
    .orderBy(providerRoutingRules.service);
  return rows.map((row) => ({ ...row, disabled: row.disabled ?? [] }));
}

/** Sets a service's rule; a rule that pins nothing and disables nothing removes the row. */
export async function setRule(db: Db, rule: RoutingRule): Promise<void> {
  if (!rule.pinned && rule.disabled.length === 0) {
    await db.delete(providerRoutingRules).where(eq(providerRoutingRules.service, rule.service));
    return;
  }
  await db
    .insert(providerRoutingRules)
    .values({ service: rule.service, pinned: rule.pinned, disabled: rule.disabled })
    .onConflictDoUpdate({
      target: providerRoutingRules.service,
      set: { pinned: rule.pinned, disabled: rule.disabled, updatedAt: new Date() },
    });
}
