/** The tiers' public surface: what each tier costs and allows. */
export {
  createTiersService,
  TIER_NAMES,
  tierNameOf,
  type Tier,
  type TierName,
  type TierPatch,
  type TiersDeps,
  type TiersService,
} from './service.js';
