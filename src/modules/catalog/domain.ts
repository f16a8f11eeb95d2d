/**
 * Price rules of SPEC §4/§6, pure and in integer math: provider cost × markup, rounded UP to the
 * cent; × the tier multiplier, rounded up; + the tier's option surcharges.
 */
import type { Country } from './views.js';

const BPS = 10_000;

/** `amount × bps / 10000`, rounded up to the next integer (cent). */
export function applyBasisPointsUp(amount: number, bps: number): number {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new RangeError(`amount must be non-negative integer cents: ${amount}`);
  if (!Number.isSafeInteger(bps) || bps <= 0)
    throw new RangeError(`basis points must be a positive integer: ${bps}`);
  const product = amount * bps;
  if (!Number.isSafeInteger(product)) throw new RangeError('amount too large');
  return Math.floor((product + BPS - 1) / BPS);
}

export interface TierPricing {
  priceMultiplierBps: number;
  areaCodeAllowed: boolean;
  areaCodeSurchargeCents: number;
  carrierAllowed: boolean;
  carrierSurchargeCents: number;
  voiceAllowed: boolean;
}

export interface PriceInput {
  providerCostCents: number;
  markupBps: number;
  tier: TierPricing;
  areaCode: boolean;
  carrier: boolean;
}

export interface PriceBreakdown {
  providerCostCents: number;
  markedUpCents: number;
  tierAdjustedCents: number;
  surchargeCents: number;
  totalCents: number;
}

export function priceVerification(input: PriceInput): PriceBreakdown {
  const markedUpCents = applyBasisPointsUp(input.providerCostCents, input.markupBps);
  const tierAdjustedCents = applyBasisPointsUp(markedUpCents, input.tier.priceMultiplierBps);
  const surchargeCents =
    (input.areaCode ? input.tier.areaCodeSurchargeCents : 0) +
    (input.carrier ? input.tier.carrierSurchargeCents : 0);
  return {
    providerCostCents: input.providerCostCents,
    markedUpCents,
    tierAdjustedCents,
    surchargeCents,
    totalCents: tierAdjustedCents + surchargeCents,
  };
}

export const CAPABILITIES = ['sms', 'voice'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Which requested option the tier does not allow, or null when all are allowed. */
export function optionRefusedByTier(
  tier: TierPricing,
  wanted: { capability: Capability; areaCode: boolean; carrier: boolean },
): 'voice' | 'area_code' | 'carrier' | null {
  if (wanted.capability === 'voice' && !tier.voiceAllowed) return 'voice';
  if (wanted.areaCode && !tier.areaCodeAllowed) return 'area_code';
  if (wanted.carrier && !tier.carrierAllowed) return 'carrier';
  return null;
}

/** The provider (TextVerified) sells US numbers only; the list shape leaves room for more. */
export const COUNTRIES: readonly Country[] = [{ code: 'US', name: 'United States', available: true }];

export const isAvailableCountry = (code: string) =>
  COUNTRIES.some((c) => c.code === code.toUpperCase() && c.available);

const CATEGORIES: Record<string, string> = {
  whatsapp: 'messaging',
  telegram: 'messaging',
  signal: 'messaging',
  viber: 'messaging',
  wechat: 'messaging',
  line: 'messaging',
  discord: 'messaging',
  facebook: 'social',
  instagram: 'social',
  twitter: 'social',
  tiktok: 'social',
  snapchat: 'social',
  linkedin: 'social',
  reddit: 'social',
  pinterest: 'social',
  tinder: 'dating',
  bumble: 'dating',
  hinge: 'dating',
  google: 'tech',
  microsoft: 'tech',
  apple: 'tech',
  yahoo: 'tech',
  amazon: 'shopping',
  ebay: 'shopping',
  paypal: 'finance',
  venmo: 'finance',
  cashapp: 'finance',
  coinbase: 'finance',
  uber: 'transport',
  lyft: 'transport',
  doordash: 'food',
  ubereats: 'food',
};

export const categoryOf = (serviceName: string): string => CATEGORIES[serviceName.toLowerCase()] ?? 'other';

/** Case-insensitive match on name or display name. */
export function matchesQuery(
  service: { serviceName: string; displayName: string },
  q: string | undefined,
): boolean {
  if (!q) return true;
  const needle = q.trim().toLowerCase();
  return (
    service.serviceName.toLowerCase().includes(needle) || service.displayName.toLowerCase().includes(needle)
  );
}
