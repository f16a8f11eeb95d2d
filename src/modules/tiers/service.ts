import { eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { tiers } from './schema.js';

export type Tier = typeof tiers.$inferSelect;
export type TierName = 'freemium' | 'payg' | 'pro' | 'custom';
export const TIER_NAMES: readonly TierName[] = ['freemium', 'payg', 'pro', 'custom'];

export type TierPatch = Partial<Omit<Tier, 'name' | 'updatedAt'>>;

/** Rows change rarely (admin edits); a short cache keeps them off every purchase's path. */
const CACHE_TTL_MS = 10_000;
const cache = new WeakMap<Db, Map<string, { tier: Tier; at: number }>>();

function cacheOf(db: Db) {
  let map = cache.get(db);
  if (!map) {
    map = new Map();
    cache.set(db, map);
  }
  return map;
}

/** The tier's row; unknown names are a configuration error (the principal always names a seeded tier). */
export async function getTier(db: Db, name: string): Promise<Tier> {
  const cached = cacheOf(db).get(name);
  if (cached && Date.now() - cached.at < CACHE_TTL_MS) return cached.tier;
  const [row] = await db.select().from(tiers).where(eq(tiers.name, name));
  if (!row) throw new AppError(500, 'unknown_tier', `Tier ${name} is not configured.`);
  cacheOf(db).set(name, { tier: row, at: Date.now() });
  return row;
}

export async function listTiers(db: Db): Promise<Tier[]> {
  const rows = await db.select().from(tiers);
  return rows.sort((a, b) => TIER_NAMES.indexOf(a.name as TierName) - TIER_NAMES.indexOf(b.name as TierName));
}

/** Admin edit of a tier's row (the admin routes come later). */
export async function updateTier(db: Db, name: string, patch: TierPatch): Promise<Tier> {
  const [row] = await db
    .update(tiers)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(tiers.name, name))
    .returning();
  if (!row) throw new AppError(404, 'not_found', `Tier ${name} not found.`);
  cacheOf(db).set(name, { tier: row, at: Date.now() });
  return row;
}

/**
 * The last row read for this tier, without I/O (for synchronous checks such as a route's
 * rate-limit points); undefined until `getTier` has read it once.
 */
export function cachedTier(db: Db, name: string): Tier | undefined {
  return cache.get(db)?.get(name)?.tier;
}
