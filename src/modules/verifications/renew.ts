/**
 * Buying a completed order's number again: reuse (shortly after its code, while the provider's
 * reuse window lasts) or reactivation (once that window is over, when the provider offers it).
 * A renewal is a NEW order linked to the original (`reused_from`), bought from the original's
 * provider and run through the purchase lifecycle: its own hold, `pending` → `active` → captured on
 * the first SMS or released on expiry, cancel or failure, with its events and webhooks.
 *
 * Price: the quote of a new purchase of the same service, country and capability, without the
 * area-code and carrier options (the number is already chosen, so those options are not bought
 * again). The phases are those of a purchase: (0) ask the provider whether the number is eligible
 * (nothing is held when it is not) → (1) transaction: order + hold → (2) provider renewal →
 * (3) `active` | refused: `failed` + release | unknown: `pending`, reconciled by listing the
 * provider's orders (the renewal call takes no idempotency key upstream).
 */
import { randomUUID } from 'node:crypto';
import { AppError, notFound } from '../../platform/errors.js';
import type { Quote } from '../catalog/index.js';
import { WALLET_CURRENCY } from '../ledger/index.js';
import { announce, emitVerificationEvent, type VerificationDeps } from './deps.js';
import { type Renewal, refusalFor, verificationIdFor } from './domain.js';
import { activate, failOrder, holdCharge, type Purchaser, refuseOverActiveLimit } from './purchase.js';
import {
  type Eligibility,
  findRenewalOf,
  forgetRenewalOffer,
  rememberRenewalOffer,
  type Renewer,
  renewerOf,
} from './renewers.js';
import * as store from './store.js';
import { toView, type VerificationView } from './views.js';

export interface RenewInput {
  /** Refuse (409 price_changed) when the quote is above this, in cents. */
  maxPrice?: number;
}

const NOT_AVAILABLE = {
  reuse: {
    code: 'reuse_not_available',
    message: 'This number cannot be reused now (only shortly after its code arrived); you were not charged.',
  },
  reactivate: {
    code: 'reactivation_not_available',
    message: 'This number cannot be reactivated now; you were not charged.',
  },
} as const;

const notAvailable = (renewal: Renewal, details?: Record<string, unknown>) =>
  new AppError(409, NOT_AVAILABLE[renewal].code, NOT_AVAILABLE[renewal].message, details);

/** The order id of a renewal: stable per (user, original, action, Idempotency-Key). */
const renewalIdFor = (userId: string, originalId: string, renewal: Renewal, key: string) =>
  verificationIdFor(userId, `${renewal}\u0000${originalId}\u0000${key}`);

export async function renew(
  deps: VerificationDeps,
  principal: Purchaser,
  originalId: string,
  renewal: Renewal,
  input: RenewInput = {},
  opts: { idempotencyKey?: string | null } = {},
): Promise<VerificationView> {
  const original = await store.findForUser(deps.db, originalId, principal.userId);
  if (!original) throw notFound('Verification');
  const id = opts.idempotencyKey
    ? renewalIdFor(principal.userId, originalId, renewal, opts.idempotencyKey)
    : randomUUID();
  const known = await store.findForUser(deps.db, id, principal.userId);
  if (known) return replayOf(known, renewal);

  // Phase 0: the provider says whether the number is offered; nothing is held otherwise.
  const renewer = original.status === 'completed' ? renewerOf(deps, original.provider) : undefined;
  if (!renewer || !original.providerId || !original.phoneNumber) throw notAvailable(renewal);
  const eligibility = await eligibilityOf(deps, renewer, original.providerId);
  rememberRenewalOffer(original.id, eligibility);
  if (!eligible(eligibility, renewal)) throw notAvailable(renewal);
  const quote = await quoteOf(deps, principal.tier, original, input);

  // Phase 1 (transaction): the new order and its hold.
  const order = await openRenewal(deps, principal, id, original, renewal, quote);
  if (!order) return replayOf(await mustFind(deps, id, principal.userId), renewal);
  await announce(deps, id);

  // Phase 2 (provider).
  let renewed;
  try {
    renewed = await renewer.renew(original.providerId, renewal);
  } catch (error) {
    forgetRenewalOffer(original.id);
    const failure = renewer.classify(error);
    if (!failure.refused) {
      deps.logger.warn(
        { err: error, verificationId: id },
        'provider renewal outcome unknown; order left pending for the reconciler',
      );
      return toView((await store.findById(deps.db, id)) ?? order);
    }
    const code = failure.refusal === 'not_eligible' ? NOT_AVAILABLE[renewal].code : failure.refusal.code;
    await failOrder(deps, id, code);
    if (failure.refusal === 'not_eligible') throw notAvailable(renewal, { verificationId: id });
    throw new AppError(failure.refusal.status, failure.refusal.code, failure.refusal.message, {
      verificationId: id,
    });
  }
  forgetRenewalOffer(original.id);
  // Phase 3 (transaction): active with the (same) number.
  return toView(await activate(deps, order, renewed));
}

async function eligibilityOf(
  deps: VerificationDeps,
  renewer: Renewer,
  providerId: string,
): Promise<Eligibility> {
  try {
    return await renewer.eligibility(providerId);
  } catch (error) {
    deps.logger.warn({ err: error, providerId }, 'renewal offer unreadable at the provider');
    throw new AppError(
      503,
      'provider_unavailable',
      'The SMS provider could not say whether this number is offered again; you were not charged.',
    );
  }
}

const eligible = (e: Eligibility, renewal: Renewal) =>
  renewal === 'reuse' ? e.reusableUntil !== null : e.canReactivate;

async function quoteOf(
  deps: VerificationDeps,
  tierName: string,
  original: store.VerificationRow,
  input: RenewInput,
): Promise<Quote> {
  const quote = await deps.catalog.quote({
    tierName,
    service: original.service,
    country: original.country,
    capability: original.capability,
    areaCode: false,
    carrier: false,
  });
  if (input.maxPrice !== undefined && quote.totalCents > input.maxPrice) {
    throw new AppError(409, 'price_changed', 'The price is above your maxPrice; get a new quote.', {
      price: { amount: quote.totalCents, currency: quote.currency },
    });
  }
  return quote;
}

async function mustFind(deps: VerificationDeps, id: string, userId: string) {
  const row = await store.findForUser(deps.db, id, userId);
  if (!row) throw notFound('Verification');
  return row;
}

/** The renewal order and its hold, as a purchase opens one (active-order limit included). */
async function openRenewal(
  deps: VerificationDeps,
  principal: Purchaser,
  id: string,
  original: store.VerificationRow,
  renewal: Renewal,
  quote: Quote,
): Promise<store.VerificationRow | undefined> {
  const tier = await deps.tiers.get(principal.tier);
  return deps.db.transaction(async (tx) => {
    await store.lockUserPurchases(tx, principal.userId);
    await refuseOverActiveLimit(tx, principal.userId, tier.maxActiveOrders);
    const created = await store.insertPending(tx, {
      id,
      userId: principal.userId,
      service: original.service,
      country: original.country,
      capability: original.capability,
      options: {},
      priceCents: quote.totalCents,
      chargeAmount: quote.totalCents,
      currency: WALLET_CURRENCY,
      providerCostCents: quote.providerCostCents,
      provider: original.provider,
      status: 'pending',
      reusedFrom: original.id,
      renewal,
    });
    if (!created) return undefined;
    const opened = await store.setHold(tx, id, await holdCharge(deps, tx, principal.userId, id, quote));
    await emitVerificationEvent(deps, tx, 'verification.created', opened);
    return opened;
  });
}

/** A retried renewal whose first answer was not stored: that first attempt's order or refusal. */
function replayOf(order: store.VerificationRow, renewal: Renewal): VerificationView {
  if (order.status !== 'failed') return toView(order);
  const headers = { 'idempotent-replayed': 'true' };
  const suffix = " This Idempotency-Key's order failed; use a new key to try again.";
  if (order.failureCode === NOT_AVAILABLE[renewal].code) {
    const e = NOT_AVAILABLE[renewal];
    throw new AppError(409, e.code, `${e.message}${suffix}`, { verificationId: order.id }, headers);
  }
  const refusal = refusalFor(order.failureCode);
  throw new AppError(
    refusal.status,
    refusal.code,
    `${refusal.message}${suffix}`,
    { verificationId: order.id },
    headers,
  );
}

/**
 * Renewals left `pending` by an unknown provider outcome. The renewal call carries no idempotency
 * key upstream, so it is never repeated: the provider's orders are listed instead, and the one it
 * created on the number since the order was opened (and that no order of ours holds) is taken.
 * None there means nothing was bought: the order fails and its hold is released.
 */
export async function reconcileRenewals(
  deps: VerificationDeps,
  opts: { olderThanMs?: number; limit?: number } = {},
): Promise<{ activated: number; failed: number; unresolved: number }> {
  const result = { activated: 0, failed: 0, unresolved: 0 };
  const olderThan = new Date(Date.now() - (opts.olderThanMs ?? 30_000));
  for (const order of await store.stalePending(deps.db, olderThan, opts.limit ?? 100, { renewals: true })) {
    const outcome = await reconcileRenewal(deps, order);
    if (outcome) result[outcome]++;
  }
  return result;
}

async function reconcileRenewal(
  deps: VerificationDeps,
  order: store.VerificationRow,
): Promise<'activated' | 'failed' | 'unresolved' | null> {
  try {
    const found = await findRenewalOf(deps, order);
    if (found) {
      const row = await activate(deps, order, found);
      return row.status === 'active' ? 'activated' : null;
    }
    const failed = await failOrder(deps, order.id, 'provider_unavailable');
    return failed ? 'failed' : null;
  } catch (error) {
    deps.logger.warn({ err: error, verificationId: order.id }, 'reconciling a renewal failed; retried later');
    return 'unresolved';
  }
}
