import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import * as store from './store.js';

export type Tier = store.TierRow;
export type TierPatch = store.TierPatch;
export type TierName = 'freemium' | 'payg' | 'pro' | 'custom';
export const TIER_NAMES: readonly TierName[] = ['freemium', 'payg', 'pro', 'custom'];

/** A tier row's name as the closed type (the rows are seeded from TIER_NAMES; anything else is a bad edit). */
export function tierNameOf(tier: { name: string }): TierName {
  const name = TIER_NAMES.find((known) => known === tier.name);
  if (!name) throw new AppError(500, 'internal_error', `Tier ${tier.name} is not a known tier.`);
  return name;
}

/** Rows change rarely (admin edits); a short cache keeps them off every purchase's path. */
const CACHE_TTL_MS = 10_000;

export interface TiersDeps {
  db: Db;
}

/** The tiers of SPEC §6, read from their table (the one source of truth) through a short cache. */
export function createTiersService(deps: TiersDeps) {
  const cache = new Map<string, { tier: Tier; at: number }>();
  const remember = (tier: Tier) => {
    cache.set(tier.name, { tier, at: Date.now() });
    return tier;
  };

  return {
    /** The tier's row; an unknown name is a configuration error (principals always name a seeded tier). */
    /**
     * `tx`: the caller's transaction when it has one — PGlite is a single connection, so a query on
     * the outer handle inside a transaction would wait for that transaction forever.
     */
    async get(name: string, tx: Db = deps.db): Promise<Tier> {
      const cached = cache.get(name);
      if (cached && Date.now() - cached.at < CACHE_TTL_MS) return cached.tier;
      const row = await store.tierByName(tx, name);
      // A deployment fault, not the caller's: one generic 500 code like any other.
      if (!row) throw new AppError(500, 'internal_error', `Tier ${name} is not configured.`);
      return remember(row);
    },

    async list(): Promise<Tier[]> {
      const rows = await store.allTiers(deps.db);
      return rows.sort(
        (a, b) => TIER_NAMES.indexOf(a.name as TierName) - TIER_NAMES.indexOf(b.name as TierName),
      );
    },

    /** An admin's edit of a tier's row, in the caller's transaction (`tx`) when given. */
    async update(name: string, patch: TierPatch, tx: Db = deps.db): Promise<Tier> {
      const row = await store.updateTier(tx, name, patch);
      if (!row) throw new AppError(404, 'not_found', `Tier ${name} not found.`);
      return remember(row);
    },
  };
}
export type TiersService = ReturnType<typeof createTiersService>;
