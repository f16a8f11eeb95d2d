import { eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { tiers } from './schema.js';

export type TierRow = typeof tiers.$inferSelect;
export type TierPatch = Partial<Omit<TierRow, 'name' | 'updatedAt'>>;

export async function tierByName(db: Db, name: string): Promise<TierRow | undefined> {
  const [row] = await db.select().from(tiers).where(eq(tiers.name, name));
  return row;
}

export const allTiers = (db: Db): Promise<TierRow[]> => db.select().from(tiers);

export async function updateTier(db: Db, name: string, patch: TierPatch): Promise<TierRow | undefined> {
  const [row] = await db
    .update(tiers)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(tiers.name, name))
    .returning();
  return row;
}
