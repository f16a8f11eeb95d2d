import { eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { catalogPriceOverrides } from './schema.js';

/** Every per-service markup override (a small table, read whole). */
export function markupOverrides(db: Db): Promise<{ serviceName: string; markupBps: number }[]> {
  return db
    .select({
      serviceName: catalogPriceOverrides.serviceName,
      markupBps: catalogPriceOverrides.markupBps,
    })
    .from(catalogPriceOverrides);
}

/** Sets (or clears with null) a per-service markup override. */
export async function setMarkupOverride(
  db: Db,
  serviceName: string,
  markupBps: number | null,
): Promise<void> {
  if (markupBps === null) {
    await db.delete(catalogPriceOverrides).where(eq(catalogPriceOverrides.serviceName, serviceName));
    return;
  }
  await db
    .insert(catalogPriceOverrides)
    .values({ serviceName, markupBps })
    .onConflictDoUpdate({
      target: catalogPriceOverrides.serviceName,
      set: { markupBps, updatedAt: new Date() },
    });
}
