/**
 * The tier table of SPEC §6, shown on the landing and pricing pages.
 * TODO(issue 10): read GET /api/v1/tiers once that route exists; this copy is the stand-in.
 */
export interface TierCard {
  name: string;
  title: string;
  monthly: number;
  included: string;
  multiplier: string;
  options: string;
  voice: boolean;
  apiKeys: string;
  webhooks: boolean;
  activeOrders: number;
  highlight?: boolean;
}

export const TIERS: TierCard[] = [
  {
    name: 'freemium',
    title: 'Free',
    monthly: 0,
    included: '1 free verification at sign-up',
    multiplier: 'List price',
    options: 'Not available',
    voice: false,
    apiKeys: 'None',
    webhooks: false,
    activeOrders: 3,
  },
  {
    name: 'payg',
    title: 'Pay as you go',
    monthly: 0,
    included: '—',
    multiplier: 'List price',
    options: '+$0.25 area code / +$0.50 carrier',
    voice: true,
    apiKeys: '2 keys',
    webhooks: true,
    activeOrders: 10,
  },
  {
    name: 'pro',
    title: 'Pro',
    monthly: 2500,
    included: '$15 of usage every month',
    multiplier: '15% off every number',
    options: 'Included',
    voice: true,
    apiKeys: '10 keys',
    webhooks: true,
    activeOrders: 25,
    highlight: true,
  },
  {
    name: 'custom',
    title: 'Custom',
    monthly: 3500,
    included: '$25 of usage every month',
    multiplier: '25% off every number',
    options: 'Included',
    voice: true,
    apiKeys: 'Unlimited',
    webhooks: true,
    activeOrders: 100,
  },
];
