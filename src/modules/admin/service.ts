import type { Db } from '../../platform/db/database.js';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import type { AccountsService, User } from '../accounts/index.js';
import type { ApiKeysService } from '../api-keys/index.js';
import type { AuditEntry, AuditService } from '../audit/index.js';
import type { CatalogService } from '../catalog/index.js';
import { type LedgerService, WALLET_CURRENCY, checkLedgerInvariants } from '../ledger/index.js';
import type { PaymentsService } from '../payments/index.js';
import { PROVIDERS, type ProviderName, type RoutingService } from '../routing/index.js';
import type { Tier, TierPatch, TiersService } from '../tiers/index.js';
import type { DeliveryStats, VerificationsService } from '../verifications/index.js';
import {
  adjustmentKey,
  changedFields,
  decodeTextCursor,
  decodeTimeCursor,
  encodeTextCursor,
  encodeTimeCursor,
} from './domain.js';
import { createAdminRefunds } from './refunds.js';
import type { AdminUser, TierPatchBody, TierView } from './views.js';

export interface AdminDeps {
  db: Db;
  accounts: AccountsService;
  apiKeys: ApiKeysService;
  ledger: LedgerService;
  audit: AuditService;
  tiers: TiersService;
  catalog: CatalogService;
  routing: RoutingService;
  verifications: VerificationsService;
  payments: PaymentsService;
  /** Delivery figures from our own orders, per service, country and provider. */
  deliveryStats: DeliveryStats;
  paystackConfigured: boolean;
  /** The markup of services without an override (`CATALOG_MARKUP_BPS`). */
  defaultMarkupBps: number;
}

/** Who acts: the administrator and the address the request came from (both go in the audit log). */
export interface AdminActor {
  userId: string;
  ip: string | null;
}

export interface Page {
  cursor?: string | undefined;
  limit: number;
}

const usd = (amount: number) => ({ amount, currency: WALLET_CURRENCY });
const badCursor = () => new AppError(400, 'validation_failed', 'cursor is invalid.');

export function toAdminUser(user: User): AdminUser {
  return {
    id: user.id,
    email: user.email,
    role: user.role === 'admin' ? 'admin' : 'user',
    status: user.status === 'suspended' ? 'suspended' : 'active',
    tier: user.tier,
    emailConfirmed: user.emailConfirmedAt !== null,
    mfaEnabled: user.mfaEnabledAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

export function toTierView(tier: Tier): TierView {
  return {
    name: tier.name,
    displayName: tier.displayName,
    monthlyPrice: usd(tier.monthlyPriceCents),
    includedUsage: usd(tier.includedUsageCents),
    signupCredits: tier.signupCredits,
    priceMultiplierBps: tier.priceMultiplierBps,
    areaCodeAllowed: tier.areaCodeAllowed,
    areaCodeSurcharge: usd(tier.areaCodeSurchargeCents),
    carrierAllowed: tier.carrierAllowed,
    carrierSurcharge: usd(tier.carrierSurchargeCents),
    voiceAllowed: tier.voiceAllowed,
    apiKeyLimit: tier.apiKeyLimit,
    webhooksAllowed: tier.webhooksAllowed,
    maxActiveOrders: tier.maxActiveOrders,
    purchaseRatePerMinute: tier.purchaseRatePerMinute,
    updatedAt: tier.updatedAt.toISOString(),
  };
}

/** The tiers table's columns for an edit given in the API's shape (money as `{amount, currency}`). */
function tierPatchOf(body: TierPatchBody): TierPatch {
  const { reason: _reason, monthlyPrice, includedUsage, areaCodeSurcharge, carrierSurcharge, ...rest } = body;
  const patch: TierPatch = { ...rest };
  if (monthlyPrice) patch.monthlyPriceCents = monthlyPrice.amount;
  if (includedUsage) patch.includedUsageCents = includedUsage.amount;
  if (areaCodeSurcharge) patch.areaCodeSurchargeCents = areaCodeSurcharge.amount;
  if (carrierSurcharge) patch.carrierSurchargeCents = carrierSurcharge.amount;
  return patch;
}

function toAuditView(entry: AuditEntry) {
  return { ...entry, at: entry.at.toISOString() };
}

/**
 * The administrators' use cases (SPEC §8): they reach every other module through its service and
 * write an audit entry for every change they make, in the transaction of the change.
 */
export function createAdminService(deps: AdminDeps) {
  const { db, accounts, audit } = deps;

  async function userOrNotFound(userId: string): Promise<User> {
    const user = await accounts.findUserById(userId);
    if (!user) throw notFound('User');
    return user;
  }

  async function searchUsers(query: Page & { q?: string | undefined }) {
    const after = query.cursor === undefined ? undefined : decodeTextCursor(query.cursor);
    if (after === null) throw badCursor();
    const rows = await accounts.searchUsers({ q: query.q, after, limit: query.limit + 1 });
    const data = rows.slice(0, query.limit);
    const last = data.at(-1);
    return {
      data: data.map(toAdminUser),
      nextCursor: rows.length > query.limit && last ? encodeTextCursor(last.email) : null,
    };
  }

  async function userDetail(userId: string) {
    const user = await userOrNotFound(userId);
    const [{ wallet, standing }, tier, keys] = await Promise.all([
      deps.payments.walletAndStanding(userId),
      deps.tiers.get(user.tier),
      deps.apiKeys.list(userId),
    ]);
    return {
      user: toAdminUser(user),
      standing,
      wallet,
      tier: toTierView(tier),
      apiKeys: keys.map(({ id, name, prefix, scopes, lastUsedAt, createdAt }) => ({
        id,
        name,
        prefix,
        scopes,
        lastUsedAt,
        createdAt,
      })),
    };
  }

  async function ledgerStatement(userId: string, page: Page) {
    await userOrNotFound(userId);
    if (page.cursor !== undefined && !/^\d{1,15}$/.test(page.cursor)) throw badCursor();
    return deps.payments.walletStatement(userId, {
      cursor: page.cursor === undefined ? undefined : Number(page.cursor),
      limit: page.limit,
    });
  }

  async function userTopups(userId: string, page: Page) {
    await userOrNotFound(userId);
    if (page.cursor !== undefined && !/^\d{1,15}$/.test(page.cursor)) throw badCursor();
    const topups = await deps.payments.listTopups(userId, {
      cursor: page.cursor === undefined ? undefined : Number(page.cursor),
      limit: page.limit,
    });
    return {
      data: topups.data.map(({ authorizationUrl: _url, ...topup }) => topup),
      nextCursor: topups.nextCursor,
    };
  }

  async function userVerifications(userId: string, page: Page) {
    await userOrNotFound(userId);
    // The verifications module's own cursor: exact to the microsecond its rows are ordered by.
    const result = await deps.verifications.listVerifications(userId, {
      cursor: page.cursor,
      limit: page.limit,
    });
    return {
      data: result.rows.map((row) => ({
        id: row.id,
        status: row.status,
        service: row.service,
        country: row.country,
        capability: row.capability,
        phoneNumber: row.phoneNumber,
        price: { amount: row.chargeAmount, currency: row.currency },
        failureCode: row.failureCode,
        createdAt: row.createdAt.toISOString(),
        completedAt: row.completedAt?.toISOString() ?? null,
      })),
      nextCursor: result.nextCursor,
    };
  }

  /**
   * Effective on the user's next request: authentication loads the user on every request (API
   * keys included), and open event streams are ended by their access watch within seconds.
   */
  async function suspend(actor: AdminActor, userId: string, reason: string) {
    if (userId === actor.userId) throw forbidden('You cannot suspend your own account.');
    await userOrNotFound(userId);
    await accounts.suspendUser(userId, actor.userId, reason, actor.ip);
    return toAdminUser(await userOrNotFound(userId));
  }

  async function unsuspend(actor: AdminActor, userId: string, reason: string | undefined) {
    await userOrNotFound(userId);
    await accounts.unsuspendUser(userId, actor.userId, reason, actor.ip);
    return toAdminUser(await userOrNotFound(userId));
  }

  /**
   * One ledger transaction (wallet ↔ the platform's adjustments account) and one audit entry, in
   * one database transaction. The ledger's key comes from the request's `Idempotency-Key`, so a
   * replay that gets past the idempotency layer finds the transaction already posted and records
   * nothing more. A debit larger than the balance is refused (402) by the wallet's conditional update.
   */
  async function adjustBalance(
    actor: AdminActor,
    input: { userId: string; amount: number; reason: string; requestKey: string },
  ) {
    await userOrNotFound(input.userId);
    const posted = await db.transaction(async (tx) => {
      const result = await deps.ledger.adjust(tx, {
        ownerId: input.userId,
        amount: input.amount,
        // The memo is on the user's own statement; the reason (an internal note) stays in the
        // transaction's metadata and the audit log.
        memo: 'Balance adjustment',
        idempotencyKey: adjustmentKey({ ...input, actorId: actor.userId }),
        metadata: { actorId: actor.userId, reason: input.reason },
      });
      if (!result.duplicate) {
        await audit.record(tx, {
          actorId: actor.userId,
          action: 'admin.balance_adjusted',
          subjectType: 'user',
          subjectId: input.userId,
          ip: actor.ip,
          details: {
            amount: input.amount,
            currency: WALLET_CURRENCY,
            reason: input.reason,
            transactionId: result.transactionId,
          },
        });
      }
      return result;
    });
    const wallet = await deps.ledger.walletSummary(db, input.userId);
    return {
      transactionId: posted.transactionId,
      userId: input.userId,
      amount: usd(input.amount),
      reason: input.reason,
      balance: usd(wallet.balance),
      duplicate: posted.duplicate,
    };
  }

  async function auditLog(
    query: Page & { actorId?: string; action?: string; subjectId?: string; before?: string },
  ) {
    const after = query.cursor === undefined ? undefined : decodeTimeCursor(query.cursor);
    if (after === null) throw badCursor();
    const rows = await audit.list({
      actorId: query.actorId,
      action: query.action,
      subjectId: query.subjectId,
      before: query.before === undefined ? undefined : new Date(query.before),
      after,
      limit: query.limit + 1,
    });
    const data = rows.slice(0, query.limit);
    const last = data.at(-1);
    return {
      data: data.map(toAuditView),
      nextCursor: rows.length > query.limit && last ? encodeTimeCursor(last.at, last.id) : null,
    };
  }

  /** Each SMS provider's account balance and circuit; Paystack is only reported as configured or not. */
  async function providers() {
    const [textVerified, fiveSim] = await Promise.all([
      upstreamHealth('textverified'),
      upstreamHealth('fivesim'),
    ]);
    return { textVerified, fiveSim, paystack: { configured: deps.paystackConfigured } };
  }

  async function upstreamHealth(name: ProviderName) {
    const upstream = deps.routing.upstream(name);
    if (!upstream) return { configured: false, circuit: null, healthy: false, balance: null, error: null };
    let health;
    try {
      health = { healthy: true, balance: usd(await upstream.balanceCents()), error: null };
    } catch (error) {
      const failure = upstream.failureOf(error);
      health = { healthy: false, balance: null, error: failure ? failure.kind : 'unknown' };
    }
    return { configured: true, circuit: upstream.circuitState(), ...health };
  }

  /** The providers routing can use and the admins' per-service rules. */
  async function routing() {
    return {
      providers: PROVIDERS.map((name) => {
        const upstream = deps.routing.upstream(name);
        return { name, configured: upstream !== undefined, circuit: upstream?.circuitState() ?? null };
      }),
      rules: await deps.routing.rules(),
    };
  }

  /** Pins or disables providers for one service (an empty rule routes it among all again). */
  async function setRouting(
    actor: AdminActor,
    service: string,
    input: { pinned: ProviderName | null; disabled: ProviderName[]; reason?: string | undefined },
  ) {
    const disabled = [...new Set(input.disabled)].sort();
    const before = (await deps.routing.rules()).find((r) => r.service === service) ?? null;
    await db.transaction(async (tx) => {
      await deps.routing.setRule(tx, { service, pinned: input.pinned, disabled });
      await audit.record(tx, {
        actorId: actor.userId,
        action: 'admin.provider_routing_set',
        subjectType: 'provider_routing',
        subjectId: service,
        ip: actor.ip,
        details: {
          from: before ? { pinned: before.pinned, disabled: before.disabled } : null,
          to: { pinned: input.pinned, disabled },
          ...(input.reason ? { reason: input.reason } : {}),
        },
      });
    });
    // Quotes and listings priced from a provider that may no longer sell the service.
    deps.routing.invalidate();
    deps.catalog.invalidate();
    return { service, pinned: input.pinned, disabled };
  }

  /** Every provider's delivery figures per service and country (the figures buyers see merge them). */
  async function deliveryByProvider() {
    const snapshot = await deps.deliveryStats.snapshot();
    return {
      minOrders: deps.deliveryStats.minOrders,
      computedAt: snapshot.computedAt.toISOString(),
      data: snapshot
        .perProvider()
        .sort(
          (a, b) =>
            a.service.localeCompare(b.service) ||
            a.country.localeCompare(b.country) ||
            a.provider.localeCompare(b.provider),
        ),
    };
  }

  async function markups() {
    const overrides = await deps.catalog.markupOverrideList();
    return {
      defaultMarkupBps: deps.defaultMarkupBps,
      overrides: overrides
        .map((o) => ({ service: o.serviceName, markupBps: o.markupBps }))
        .sort((a, b) => a.service.localeCompare(b.service)),
    };
  }

  /** Replaces the set of per-service overrides (services left out go back to the default). */
  async function replaceMarkups(
    actor: AdminActor,
    input: { overrides: { service: string; markupBps: number }[]; reason?: string | undefined },
  ) {
    const before = await markups();
    const wanted = new Map(input.overrides.map((o) => [o.service, o.markupBps]));
    const was = new Map(before.overrides.map((o) => [o.service, o.markupBps]));
    const changes: Record<string, { from: number | null; to: number | null }> = {};
    for (const [service, from] of was) if (!wanted.has(service)) changes[service] = { from, to: null };
    for (const [service, to] of wanted) {
      const from = was.get(service) ?? null;
      if (from !== to) changes[service] = { from, to };
    }
    await db.transaction(async (tx) => {
      for (const [service, { to }] of Object.entries(changes)) {
        await deps.catalog.setMarkupOverride(service, to, tx);
      }
      await audit.record(tx, {
        actorId: actor.userId,
        action: 'admin.markups_replaced',
        subjectType: 'pricing',
        subjectId: 'markups',
        ip: actor.ip,
        details: { changes, ...(input.reason ? { reason: input.reason } : {}) },
      });
    });
    return markups();
  }

  async function listTiers() {
    return { data: (await deps.tiers.list()).map(toTierView) };
  }

  async function updateTier(actor: AdminActor, name: string, body: TierPatchBody) {
    const patch = tierPatchOf(body);
    // Read before the transaction: on PGlite (one connection) the outer handle would wait for it forever.
    const before = (await deps.tiers.list()).find((tier) => tier.name === name);
    if (!before) throw notFound('Tier');
    const updated = await db.transaction(async (tx) => {
      const row = await deps.tiers.update(name, patch, tx);
      await audit.record(tx, {
        actorId: actor.userId,
        action: 'admin.tier_updated',
        subjectType: 'tier',
        subjectId: name,
        ip: actor.ip,
        details: {
          changes: changedFields(before as Record<string, unknown>, patch),
          ...(body.reason ? { reason: body.reason } : {}),
        },
      });
      return row;
    });
    return toTierView(updated);
  }

  return {
    searchUsers,
    userDetail,
    ledgerStatement,
    userTopups,
    userVerifications,
    suspend,
    unsuspend,
    adjustBalance,
    auditLog,
    invariants: () => checkLedgerInvariants(db),
    providers,
    deliveryByProvider,
    routing,
    setRouting,
    markups,
    replaceMarkups,
    listTiers,
    updateTier,
    ...createAdminRefunds(deps),
  };
}
export type AdminService = ReturnType<typeof createAdminService>;
