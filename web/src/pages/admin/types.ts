import type { StatementLine as StatementLineOfWallet } from '../../components/statement-table';
import type { Money } from '../../api';

/** What the admin API answers (src/modules/admin/views.ts), as the pages read it. */

export interface AdminUser {
  id: string;
  email: string;
  role: 'user' | 'admin';
  status: 'active' | 'suspended';
  tier: string;
  emailConfirmed: boolean;
  mfaEnabled: boolean;
  createdAt: string;
}

export interface Tier {
  name: string;
  displayName: string;
  monthlyPrice: Money;
  includedUsage: Money;
  signupCredits: number;
  priceMultiplierBps: number;
  areaCodeAllowed: boolean;
  areaCodeSurcharge: Money;
  carrierAllowed: boolean;
  carrierSurcharge: Money;
  voiceAllowed: boolean;
  apiKeyLimit: number | null;
  webhooksAllowed: boolean;
  maxActiveOrders: number;
  purchaseRatePerMinute: number;
  updatedAt: string;
}

export interface UserDetail {
  user: AdminUser;
  wallet: { balance: Money; held: Money; includedUsage: { freeVerifications: number } };
  tier: Tier;
  apiKeys: {
    id: string;
    name: string;
    prefix: string;
    scopes: string[];
    lastUsedAt: string | null;
    createdAt: string;
  }[];
}

/** The admin's statement carries the ledger transaction of each line. */
export interface StatementLine extends StatementLineOfWallet {
  transactionId: string;
}

export interface AdminVerification {
  id: string;
  status: string;
  service: string;
  country: string;
  capability: string;
  phoneNumber: string | null;
  price: Money;
  failureCode: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actorId: string | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface Adjustment {
  transactionId: string;
  userId: string;
  amount: Money;
  reason: string;
  balance: Money;
  duplicate: boolean;
}

export interface InvariantReport {
  ok: boolean;
  checkedAt: string;
  counts: { transactions: number; entries: number; wallets: number; pendingHolds: number };
  violations: { rule: string; subject: string; detail: string }[];
}

export type Circuit = 'closed' | 'open' | 'half_open' | 'isolated';

export interface SmsProviderHealth {
  configured: boolean;
  circuit: Circuit | null;
  healthy: boolean;
  balance: Money | null;
  error: string | null;
}

export interface Providers {
  textVerified: SmsProviderHealth;
  fiveSim: SmsProviderHealth;
  paystack: { configured: boolean };
}

export type ProviderName = 'textverified' | 'fivesim';

export interface RoutingRule {
  service: string;
  pinned: ProviderName | null;
  disabled: ProviderName[];
}

export interface Routing {
  providers: { name: ProviderName; configured: boolean; circuit: Circuit | null }[];
  rules: RoutingRule[];
}

export interface Markups {
  defaultMarkupBps: number;
  overrides: { service: string; markupBps: number }[];
}

export interface TopupRow {
  reference: string;
  status: string;
  amount: Money;
  charge: Money;
  exchangeRate: { ngnPerUsd: number } | null;
  createdAt: string;
  completedAt: string | null;
}
