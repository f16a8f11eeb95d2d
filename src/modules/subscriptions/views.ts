import { z } from 'zod';
import type { Tier } from '../tiers/index.js';
import type { SubscriptionRow } from './store.js';

/** What the plans API returns; the TypeScript types are inferred from these schemas. */

export const money = z.object({ amount: z.number().int(), currency: z.literal('USD') });
const usd = (amount: number) => ({ amount, currency: 'USD' as const });

export const tierView = z.object({
  name: z.string(),
  displayName: z.string(),
  monthlyPrice: money,
  includedUsage: money.describe('Usage included each paid period, spent before the wallet.'),
  priceMultiplier: z.number().describe('Applied to every verification price (0.85 = 15% off).'),
  signupFreeVerifications: z.number().int(),
  gates: z.object({
    areaCode: z.object({ allowed: z.boolean(), surcharge: money }),
    carrier: z.object({ allowed: z.boolean(), surcharge: money }),
    voice: z.boolean(),
    apiKeyLimit: z.number().int().nullable().describe('null: unlimited.'),
    webhooks: z.boolean(),
    maxActiveOrders: z.number().int(),
  }),
});
export type TierView = z.infer<typeof tierView>;

export function toTierView(tier: Tier): TierView {
  return {
    name: tier.name,
    displayName: tier.displayName,
    monthlyPrice: usd(tier.monthlyPriceCents),
    includedUsage: usd(tier.includedUsageCents),
    priceMultiplier: tier.priceMultiplierBps / 10_000,
    signupFreeVerifications: tier.signupCredits,
    gates: {
      areaCode: { allowed: tier.areaCodeAllowed, surcharge: usd(tier.areaCodeSurchargeCents) },
      carrier: { allowed: tier.carrierAllowed, surcharge: usd(tier.carrierSurchargeCents) },
      voice: tier.voiceAllowed,
      apiKeyLimit: tier.apiKeyLimit,
      webhooks: tier.webhooksAllowed,
      maxActiveOrders: tier.maxActiveOrders,
    },
  };
}

export const subscriptionView = z.object({
  tier: z.string().describe('The tier whose gates apply to you now.'),
  status: z
    .enum(['none', 'active', 'past_due'])
    .describe(
      'none: a free tier (freemium or payg), nothing renews; past_due: the renewal failed, see graceEndsAt.',
    ),
  currentPeriodStart: z.string().nullable(),
  currentPeriodEnd: z.string().nullable().describe('When the plan renews (or ends, with cancelAtPeriodEnd).'),
  cancelAtPeriodEnd: z.boolean(),
  scheduledTier: z.string().nullable().describe('A cheaper plan taking effect at the end of the period.'),
  graceEndsAt: z
    .string()
    .nullable()
    .describe('past_due only: when the plan is downgraded to payg unless paid.'),
  includedUsage: z.object({ remaining: money, perPeriod: money }),
});
export type SubscriptionView = z.infer<typeof subscriptionView>;

export function toSubscriptionView(input: {
  userTier: Tier;
  plan: SubscriptionRow | undefined;
  includedRemaining: number;
}): SubscriptionView {
  const plan = input.plan && input.plan.status !== 'ended' ? input.plan : undefined;
  return {
    tier: input.userTier.name,
    status: plan ? (plan.status as 'active' | 'past_due') : 'none',
    currentPeriodStart: plan ? plan.currentPeriodStart.toISOString() : null,
    currentPeriodEnd: plan ? plan.currentPeriodEnd.toISOString() : null,
    cancelAtPeriodEnd: plan?.cancelAtPeriodEnd ?? false,
    scheduledTier: plan?.scheduledTier ?? null,
    graceEndsAt: plan?.graceEndsAt?.toISOString() ?? null,
    includedUsage: {
      remaining: usd(input.includedRemaining),
      perPeriod: usd(plan ? input.userTier.includedUsageCents : 0),
    },
  };
}
