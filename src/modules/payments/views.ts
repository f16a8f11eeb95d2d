import type { DisputeStatus, RefundStatus, TopupStatus } from './domain.js';
import type { DisputeRow, RefundRow } from './reversal-store.js';
import type { TopupRow } from './store.js';

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

/** What an administrator sees of a refund. */
export interface RefundView {
  id: string;
  topupReference: string;
  status: RefundStatus;
  paystackRefundId: number | null;
  amount: Money;
  charge: Money;
  reason: string | null;
  requestedBy: string | null;
  /** Once processed: what came out of the wallet, and what the user was left owing. */
  fromWallet: Money | null;
  receivable: Money | null;
  createdAt: string;
  processedAt: string | null;
}

export function toRefundView(row: RefundRow, topupReference: string): RefundView {
  const usd = (amount: number | null) => (amount === null ? null : { amount, currency: 'USD' });
  return {
    id: row.id,
    topupReference,
    status: row.status,
    paystackRefundId: row.paystackRefundId,
    amount: { amount: row.amountUsdCents, currency: 'USD' },
    charge: { amount: row.amountMinor, currency: row.currency },
    reason: row.reason,
    requestedBy: row.requestedBy,
    fromWallet: usd(row.fromWalletCents),
    receivable: usd(row.receivableCents),
    createdAt: row.createdAt.toISOString(),
    processedAt: row.processedAt?.toISOString() ?? null,
  };
}

/** What an administrator sees of a chargeback. */
export interface DisputeView {
  id: string;
  paystackDisputeId: number;
  status: DisputeStatus;
  resolution: string | null;
  amount: Money;
  charge: Money;
  taken: Money;
  fromWallet: Money;
  receivable: Money;
  returned: Money;
  createdAt: string;
  resolvedAt: string | null;
}

export function toDisputeView(row: DisputeRow): DisputeView {
  const usd = (amount: number) => ({ amount, currency: 'USD' });
  return {
    id: row.id,
    paystackDisputeId: row.paystackDisputeId,
    status: row.status,
    resolution: row.resolution,
    amount: usd(row.amountUsdCents),
    charge: { amount: row.amountMinor, currency: row.currency },
    taken: usd(row.takenCents),
    fromWallet: usd(row.fromWalletCents),
    receivable: usd(row.receivableCents),
    returned: usd(row.returnedCents),
    createdAt: row.createdAt.toISOString(),
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
  };
}
