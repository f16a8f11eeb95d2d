import type { TopupRow } from './store.js';
import type { TopupStatus } from './domain.js';

type Money = { amount: number; currency: string };

/** What the API shows of a top-up. */
export interface TopupView {
  reference: string;
  status: TopupStatus;
  amount: Money;
  charge: Money;
  exchangeRate: { ngnPerUsd: number } | null;
  authorizationUrl: string | null;
  createdAt: string;
  completedAt: string | null;
}

export function toView(row: TopupRow): TopupView {
  return {
    reference: row.reference,
    status: row.status,
    amount: { amount: row.amountUsdCents, currency: 'USD' },
    charge: { amount: row.chargeAmountMinor, currency: row.chargeCurrency },
    exchangeRate: row.ngnPerUsd === null ? null : { ngnPerUsd: row.ngnPerUsd },
    authorizationUrl: row.status === 'initialized' ? row.authorizationUrl : null,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}
