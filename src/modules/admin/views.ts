import { z } from 'zod';
import { deliveryView } from '../catalog/index.js';
import { TOPUP_REFERENCE_PATTERN } from '../payments/index.js';
import { PROVIDERS } from '../routing/index.js';
import { MAX_ADJUSTMENT_CENTS, MAX_MARKUP_BPS, MIN_MARKUP_BPS } from './domain.js';

/** The zod schemas of what the admin API takes and returns; TypeScript types are inferred from them. */

export const money = z.object({ amount: z.number().int(), currency: z.string() });

export const adminUser = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(['user', 'admin']),
  status: z.enum(['active', 'suspended']),
  tier: z.string(),
  emailConfirmed: z.boolean(),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
});
export type AdminUser = z.infer<typeof adminUser>;

export const tierView = z.object({
  name: z.string(),
  displayName: z.string(),
  monthlyPrice: money,
  includedUsage: money,
  signupCredits: z.number().int(),
  priceMultiplierBps: z.number().int(),
  areaCodeAllowed: z.boolean(),
  areaCodeSurcharge: money,
  carrierAllowed: z.boolean(),
  carrierSurcharge: money,
  voiceAllowed: z.boolean(),
  apiKeyLimit: z.number().int().nullable(),
  webhooksAllowed: z.boolean(),
  maxActiveOrders: z.number().int(),
  purchaseRatePerMinute: z.number().int(),
  updatedAt: z.string(),
});
export type TierView = z.infer<typeof tierView>;

/** What a user owes after refunds and chargebacks took back money already spent, and the wallet's flag. */
export const accountStanding = z.object({
  flagged: z.boolean(),
  flaggedAt: z.string().nullable(),
  flagReason: z.string().nullable(),
  owed: money,
});

export const userDetail = z.object({
  user: adminUser,
  standing: accountStanding,
  wallet: z.object({
    balance: money,
    held: money,
    includedUsage: z.object({ freeVerifications: z.number().int() }),
  }),
  tier: tierView,
  apiKeys: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      prefix: z.string(),
      scopes: z.array(z.string()),
      lastUsedAt: z.string().nullable(),
      createdAt: z.string(),
    }),
  ),
});

export const statementLine = z.object({
  id: z.string(),
  transactionId: z.string(),
  type: z.string(),
  amount: money,
  balanceAfter: money,
  memo: z.string(),
  reference: z.string().nullable(),
  createdAt: z.string(),
});

/** What an administrator sees of an order: no SMS text or code (support needs the outcome, not the secret). */
export const adminVerification = z.object({
  id: z.string(),
  status: z.string(),
  service: z.string(),
  country: z.string(),
  capability: z.string(),
  phoneNumber: z.string().nullable(),
  price: money,
  failureCode: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});

export const topupView = z.object({
  reference: z.string(),
  status: z.string(),
  amount: money,
  charge: money,
  exchangeRate: z.object({ ngnPerUsd: z.number().int() }).nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});

export const refundView = z.object({
  id: z.string(),
  topupReference: z.string(),
  status: z.enum([
    'requested',
    'unknown',
    'pending',
    'processing',
    'needs-attention',
    'processed',
    'failed',
    'rejected',
  ]),
  paystackRefundId: z.number().int().nullable(),
  amount: money,
  /** What the payer gets back, in the currency they paid in (kobo for NGN). */
  charge: money,
  reason: z.string().nullable(),
  requestedBy: z.string().nullable(),
  /** Once processed: taken from the wallet, and what the user was left owing (already spent). */
  fromWallet: money.nullable(),
  receivable: money.nullable(),
  createdAt: z.string(),
  processedAt: z.string().nullable(),
});

export const disputeView = z.object({
  id: z.string(),
  paystackDisputeId: z.number().int(),
  status: z.enum(['open', 'won', 'lost']),
  resolution: z.string().nullable(),
  amount: money,
  charge: money,
  taken: money,
  fromWallet: money,
  receivable: money,
  returned: money,
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
});

export const topupHistory = z.object({
  topup: topupView.extend({ userId: z.string(), reversed: money }),
  refunds: z.array(refundView),
  disputes: z.array(disputeView),
});

export const auditEntry = z.object({
  id: z.string(),
  at: z.string(),
  actorId: z.string().nullable(),
  action: z.string(),
  subjectType: z.string().nullable(),
  subjectId: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export const adjustmentView = z.object({
  transactionId: z.string(),
  userId: z.string(),
  amount: money,
  reason: z.string(),
  /** The wallet after the adjustment (after the original one when this request was a duplicate). */
  balance: money,
  /** True when the ledger had already applied this adjustment (a replay outside the idempotency layer). */
  duplicate: z.boolean(),
});

export const invariantReport = z.object({
  ok: z.boolean(),
  checkedAt: z.string(),
  counts: z.object({
    transactions: z.number().int(),
    entries: z.number().int(),
    wallets: z.number().int(),
    pendingHolds: z.number().int(),
  }),
  violations: z.array(z.object({ rule: z.string(), subject: z.string(), detail: z.string() })),
});

const smsProviderHealth = z.object({
  configured: z.boolean(),
  /** The client's circuit breaker: `open` while the provider is failing (calls fail fast). */
  circuit: z.enum(['closed', 'open', 'half_open', 'isolated']).nullable(),
  healthy: z.boolean(),
  balance: money.nullable(),
  /** Why the balance could not be read (the client's error kind, e.g. `timeout`, `unauthorized`). */
  error: z.string().nullable(),
});

export const providersView = z.object({
  textVerified: smsProviderHealth,
  /** The optional second SMS provider. */
  fiveSim: smsProviderHealth,
  paystack: z.object({ configured: z.boolean() }),
});

export const deliveryByProviderView = z.object({
  /** Orders a window needs before its figure is shown (`DELIVERY_STATS_MIN_ORDERS`). */
  minOrders: z.number().int(),
  computedAt: z.string(),
  data: z.array(deliveryView.extend({ service: z.string(), country: z.string(), provider: z.string() })),
});

const providerName = z.enum(PROVIDERS);

export const routingRuleView = z.object({
  service: z.string(),
  /** Only this provider sells the service (no failover); null when not pinned. */
  pinned: providerName.nullable(),
  /** Providers that never sell the service. */
  disabled: z.array(providerName),
});

export const routingView = z.object({
  providers: z.array(
    z.object({
      name: providerName,
      configured: z.boolean(),
      /** The client's circuit breaker: `open` while the provider is failing (routing tries it last). */
      circuit: z.enum(['closed', 'open', 'half_open', 'isolated']).nullable(),
    }),
  ),
  /** Services with a rule; every other service is routed among all configured providers. */
  rules: z.array(routingRuleView),
});

export const routingParams = z.object({ service: z.string().trim().toLowerCase().min(1).max(80) });
export const routingBody = z
  .object({
    pinned: providerName.nullable().default(null),
    disabled: z.array(providerName).max(PROVIDERS.length).default([]),
    reason: z.string().trim().min(3).max(500).optional(),
  })
  .refine((b) => !(b.pinned && b.disabled.includes(b.pinned)), {
    message: 'a pinned provider cannot also be disabled',
    path: ['disabled'],
  });

export const markupsView = z.object({
  defaultMarkupBps: z.number().int(),
  overrides: z.array(z.object({ service: z.string(), markupBps: z.number().int() })),
});

// ---- requests

const reason = z.string().trim().min(3).max(500);

export const idParams = z.object({ id: z.uuid() });
export const tierParams = z.object({ name: z.string().min(1).max(40) });
export const pageQuery = z.object({
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export const userSearchQuery = pageQuery.extend({ q: z.string().trim().max(254).optional() });
export const auditQuery = pageQuery.extend({
  actorId: z.uuid().optional(),
  action: z.string().min(1).max(100).optional(),
  subjectId: z.string().min(1).max(100).optional(),
  before: z.iso.datetime({ offset: true }).optional(),
});

export const suspendBody = z.object({ reason }).strict();
export const unsuspendBody = z.object({ reason: reason.optional() }).strict();
export const adjustmentBody = z
  .object({
    amount: z
      .number()
      .int()
      .min(-MAX_ADJUSTMENT_CENTS)
      .max(MAX_ADJUSTMENT_CENTS)
      .refine((amount) => amount !== 0, 'amount must not be zero'),
    reason,
  })
  .strict();

export const referenceParams = z.object({ reference: z.string().regex(TOPUP_REFERENCE_PATTERN) });
export const refundBody = z
  .object({
    /** Omitted: everything left to refund. */
    amount: z
      .object({ amount: z.number().int().min(1).max(MAX_ADJUSTMENT_CENTS), currency: z.literal('USD') })
      .strict()
      .optional(),
    reason,
  })
  .strict();
export const clearFlagBody = z.object({ reason }).strict();

export const markupsBody = z
  .object({
    overrides: z
      .array(
        z
          .object({
            service: z.string().trim().min(1).max(100),
            markupBps: z.number().int().min(MIN_MARKUP_BPS).max(MAX_MARKUP_BPS),
          })
          .strict(),
      )
      .max(1000)
      .refine((list) => new Set(list.map((o) => o.service)).size === list.length, 'services must be unique'),
    reason: reason.optional(),
  })
  .strict();

/** A USD amount in cents, `{amount, currency: "USD"}` as everywhere in the API. */
const usd = (max: number) =>
  z.object({ amount: z.number().int().min(0).max(max), currency: z.literal('USD') });
export const tierPatchBody = z
  .object({
    displayName: z.string().trim().min(1).max(60),
    monthlyPrice: usd(10_000_000),
    includedUsage: usd(10_000_000),
    signupCredits: z.number().int().min(0).max(100),
    priceMultiplierBps: z.number().int().min(1_000).max(100_000),
    areaCodeAllowed: z.boolean(),
    areaCodeSurcharge: usd(100_000),
    carrierAllowed: z.boolean(),
    carrierSurcharge: usd(100_000),
    voiceAllowed: z.boolean(),
    apiKeyLimit: z.number().int().min(0).max(10_000).nullable(),
    webhooksAllowed: z.boolean(),
    maxActiveOrders: z.number().int().min(1).max(10_000),
    purchaseRatePerMinute: z.number().int().min(1).max(10_000),
    reason,
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).some((field) => field !== 'reason'), 'name at least one field');
export type TierPatchBody = z.infer<typeof tierPatchBody>;
