import { useQuery } from '@tanstack/react-query';
import { type Money, api } from './api';
import { formatMoney } from './money';
import { useMe } from './session';

/** A tier as `GET /api/v1/tiers` returns it: the one source of prices and gates (SPEC §6). */
export interface Tier {
  name: string;
  displayName: string;
  monthlyPrice: Money;
  includedUsage: Money;
  priceMultiplier: number;
  signupFreeVerifications: number;
  gates: {
    areaCode: { allowed: boolean; surcharge: Money };
    carrier: { allowed: boolean; surcharge: Money };
    voice: boolean;
    apiKeyLimit: number | null;
    webhooks: boolean;
    maxActiveOrders: number;
  };
}

/** The plan most people pick is the one the page points at. */
export const HIGHLIGHTED_TIER = 'pro';

export function useTiers() {
  return useQuery({
    queryKey: ['tiers'],
    queryFn: () => api<{ data: Tier[] }>('GET', '/api/v1/tiers'),
    staleTime: 300_000,
    select: (page) => page.data,
  });
}

/** The signed-in person's tier row (undefined while either is loading). */
export function useMyTier(): Tier | undefined {
  const me = useMe();
  const tiers = useTiers();
  return tiers.data?.find((tier) => tier.name === me.data?.tier);
}

/** The words for a tier's facts; every number comes from the tier row. */
export function describeTier(tier: Tier) {
  const gate = (option: { allowed: boolean; surcharge: Money }) =>
    !option.allowed
      ? 'Not available'
      : option.surcharge.amount > 0
        ? `+${formatMoney(option.surcharge)}`
        : 'Included';
  const discount = Math.round((1 - tier.priceMultiplier) * 100);
  return {
    included:
      tier.includedUsage.amount > 0
        ? `${formatMoney(tier.includedUsage)} of usage every month`
        : tier.signupFreeVerifications > 0
          ? `${tier.signupFreeVerifications} free verification${tier.signupFreeVerifications === 1 ? '' : 's'} at sign-up`
          : '—',
    multiplier: discount > 0 ? `${discount}% off every number` : 'List price',
    areaCode: gate(tier.gates.areaCode),
    carrier: gate(tier.gates.carrier),
    voice: tier.gates.voice ? 'Yes' : 'No',
    apiKeys:
      tier.gates.apiKeyLimit === null
        ? 'Unlimited'
        : tier.gates.apiKeyLimit === 0
          ? 'None'
          : `${tier.gates.apiKeyLimit} key${tier.gates.apiKeyLimit === 1 ? '' : 's'}`,
    webhooks: tier.gates.webhooks ? 'Yes' : 'No',
    activeOrders: `Up to ${tier.gates.maxActiveOrders} active orders`,
  };
}
