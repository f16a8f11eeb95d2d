/**
 * Buying a number, read top to bottom as named phases with recovery points (never a database
 * transaction across an HTTP call):
 *   (1) transaction: order `pending` + ledger hold → (2) provider create, keyed by the order; a
 *   provider that refuses hands the order to the next one routing names (failover inside the same
 *   purchase and the same hold: charged once, at the quote) → (3) transaction: `active` with the
 *   number | every provider refused: `failed` + release | unknown: stays `pending` and
 *   `reconcilePending` asks that provider again with the SAME key.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../platform/db/database.js';
import { AppError, insufficientFunds, notFound } from '../../platform/errors.js';
import { providerUnavailable } from '../../platform/errors.js';
import type { Capability, Quote } from '../catalog/index.js';
import type { BoughtNumber, ProviderName, Upstream } from '../routing/index.js';
import { INCLUDED_USAGE_CURRENCY, SIGNUP_CREDIT_CURRENCY, WALLET_CURRENCY } from '../ledger/index.js';
import { tellProvider } from './cancel.js';
import { announce, createRequestOf, emitVerificationEvent, type VerificationDeps } from './deps.js';
import {
  acceptedProviderCost,
  type ChargeCurrency,
  holdReference,
  type Refusal,
  refusalFor,
  refusalOf,
  refusalOfAll,
  refusalOfRetry,
  verificationIdFor,
} from './domain.js';
import * as store from './store.js';
import { toView, type VerificationView } from './views.js';

export interface PurchaseInput {
  service: string;
  country: string;
  capability?: Capability;
  areaCodes?: string[];
  carrier?: string;
  /** Refuse (409 price_changed) when the quote is above this, in cents. */
  maxPrice?: number;
}

export interface Purchaser {
  userId: string;
  tier: string;
}

/** What is ordered, with the input's defaults applied. */
interface OrderRequest {
  service: string;
  country: string;
  capability: Capability;
  areaCodes: string[] | undefined;
  carrier: string | undefined;
  maxPrice: number | undefined;
}

export async function purchase(
  deps: VerificationDeps,
  principal: Purchaser,
  input: PurchaseInput,
  opts: { idempotencyKey?: string | null } = {},
): Promise<VerificationView> {
  if (deps.routing.configured().length === 0)
    throw providerUnavailable('The SMS provider is not configured.');
  const request = orderRequestOf(input);
  const quote = await quoteWithin(deps, principal.tier, request);
  const id = opts.idempotencyKey ? verificationIdFor(principal.userId, opts.idempotencyKey) : randomUUID();
  const maxCostCents = acceptedProviderCost(quote);
  let route: Upstream[];
  try {
    route = await routeOf(deps, request, quote, maxCostCents);
  } catch (error) {
    // An order this key opened before is answered as it is, whatever routing says now (phase 1
    // finds it too, without a round trip of its own, when routing has a way).
    const known = opts.idempotencyKey ? await store.findForUser(deps.db, id, principal.userId) : undefined;
    if (known) return replayOf(known);
    throw error;
  }

  // Phase 1 (one statement, or a transaction when a webhook event goes with it): the order and
  // its hold, together; or the order this Idempotency-Key opened before.
  const opened = await openOrderWithHold(deps, principal, id, request, quote, route[0]!.name, maxCostCents);
  if (!opened.created) return replayOf(opened.order);
  // Not announced: no one can be listening yet (a stream follows an order by its id, which the
  // buyer learns from this answer); the activation or failure below is.
  const order = opened.order;

  // Phases 2 and 3, provider by provider until one sells or all refuse.
  return buyAlongRoute(deps, order, route);
}

/**
 * The providers to try, first choice first: those routing allows for the service, minus those
 * whose known cost is above what the order may cost (they could only refuse).
 */
async function routeOf(
  deps: VerificationDeps,
  request: OrderRequest,
  quote: Quote,
  maxCostCents: number,
): Promise<Upstream[]> {
  const candidates = await deps.routing.candidates({
    service: quote.service,
    country: quote.country,
    capability: request.capability,
    areaCode: request.areaCodes !== undefined,
    carrier: request.carrier !== undefined,
  });
  if (candidates.length === 0) {
    throw providerUnavailable('No SMS provider is enabled for this service right now.');
  }
  const affordable = candidates.filter(
    (c) => c.facts.costCents === null || c.facts.costCents <= maxCostCents,
  );
  if (affordable.length === 0) {
    throw new AppError(409, 'price_changed', 'The provider price changed; get a new quote.');
  }
  return affordable.map((c) => c.upstream);
}

/**
 * Phase 2 along the route: buy from each provider in turn; a refusal (no numbers, our balance
 * there, its circuit open, its price) hands the still-unbought order to the next one — the order
 * row and its hold stay the same, so the user is charged once. An unknown outcome stops the route
 * (the number may exist): the order stays pending for the reconciler of that provider.
 */
async function buyAlongRoute(
  deps: VerificationDeps,
  order: store.VerificationRow,
  route: Upstream[],
): Promise<VerificationView> {
  const refusals: Refusal[] = [];
  let current = order;
  for (const [index, upstream] of route.entries()) {
    if (index > 0) {
      const moved = await store.switchProvider(deps.db, order.id, route[index - 1]!.name, upstream.name);
      if (!moved) {
        // Canceled meanwhile (already refunded): nothing was bought anywhere, nothing is owed.
        await store.settleUpstreamIfUnbought(deps.db, order.id);
        return toView((await store.findById(deps.db, order.id)) ?? current);
      }
      current = moved;
    }
    let bought: BoughtNumber;
    try {
      bought = await upstream.buy(createRequestOf(current));
    } catch (error) {
      const failure = upstream.failureOf(error);
      const refusal = failure ? refusalOf(failure) : null;
      if (!refusal) return settleCreateFailure(deps, current, null, error, { throwRefusal: true });
      refusals.push(refusal);
      if (index < route.length - 1) {
        deps.logger.warn(
          { err: error, verificationId: order.id, provider: upstream.name, next: route[index + 1]!.name },
          'provider refused the purchase; trying the next one',
        );
        continue;
      }
      return settleCreateFailure(deps, current, refusalOfAll(refusals), error, { throwRefusal: true });
    }
    // Phase 3 (transaction): active with its number.
    return toView(await activate(deps, current, bought));
  }
  throw new Error('empty route'); // routeOf never returns one
}

function orderRequestOf(input: PurchaseInput): OrderRequest {
  return {
    service: input.service,
    country: input.country,
    capability: input.capability ?? 'sms',
    areaCodes: input.areaCodes?.length ? input.areaCodes : undefined,
    carrier: input.carrier,
    maxPrice: input.maxPrice,
  };
}

/** The tier's price, refused when it is above the caller's `maxPrice`. */
async function quoteWithin(deps: VerificationDeps, tierName: string, request: OrderRequest) {
  const quote = await deps.catalog.quote({
    tierName,
    service: request.service,
    country: request.country,
    capability: request.capability,
    areaCode: request.areaCodes !== undefined,
    carrier: request.carrier !== undefined,
  });
  if (request.maxPrice !== undefined && quote.totalCents > request.maxPrice) {
    throw new AppError(409, 'price_changed', 'The price is above your maxPrice; get a new quote.', {
      price: { amount: quote.totalCents, currency: quote.currency },
    });
  }
  return quote;
}

/**
 * The `pending` order and the hold of its price (`created`), or the order with this id that exists
 * (an earlier attempt with the same Idempotency-Key). One statement (`verification_open`, shared
 * with the other purchases of the same moment): lock, replay check, open-order limit, hold, order;
 * a refusal has written nothing.
 */
async function openOrderWithHold(
  deps: VerificationDeps,
  principal: Purchaser,
  id: string,
  request: OrderRequest,
  quote: Quote,
  provider: ProviderName,
  maxCostCents: number,
): Promise<{ order: store.VerificationRow; created: boolean }> {
  const tier = await deps.tiers.get(principal.tier);
  if (!Number.isSafeInteger(quote.totalCents) || quote.totalCents <= 0) {
    throw new Error(`a purchase's price must be a positive whole number of cents, not ${quote.totalCents}`);
  }
  const input: store.OpenOrderInput = {
    id,
    userId: principal.userId,
    maxOpenOrders: tier.maxActiveOrders,
    service: quote.service,
    country: quote.country,
    capability: request.capability,
    options: {
      ...(request.areaCodes ? { areaCodes: request.areaCodes } : {}),
      ...(request.carrier ? { carrier: request.carrier } : {}),
    },
    priceCents: quote.totalCents,
    providerCostCents: maxCostCents,
    provider,
    holdReference: holdReference(id),
    memo: `Verification ${quote.service}`,
    charges: chargeOptions(quote.totalCents),
  };
  let answer = await store.openOrder(deps.db, input, CREATED_EVENT);
  if (answer.outcome === 'needs_event') {
    // One of the user's webhook endpoints takes the event: it commits with the order or not at all.
    answer = await deps.db.transaction(async (tx) => {
      const inTx = await store.openOrder(tx, input, null, { inTransaction: true });
      if (inTx.outcome === 'created') await emitVerificationEvent(deps, tx, CREATED_EVENT, inTx.order);
      return inTx;
    });
  }
  switch (answer.outcome) {
    case 'created':
      return { order: answer.order, created: true };
    case 'exists':
      return { order: answer.order, created: false };
    case 'not_found':
      throw notFound('Verification');
    case 'active_limit_reached':
      throw activeLimitReached(tier.maxActiveOrders);
    case 'insufficient_funds':
      throw insufficientFunds();
    case 'needs_event':
      throw new Error('verification_open asked for its event inside the transaction made for it');
  }
}

const CREATED_EVENT = 'verification.created';

/**
 * What pays for an order, in the order to try: the free verification credit, else the plan's
 * included usage when it covers the whole price (never split across currencies), else the wallet.
 * (`holdCharge` below makes the same choice statement by statement, for renewals.)
 */
function chargeOptions(priceCents: number): store.OpenOrderInput['charges'] {
  return [
    { currency: SIGNUP_CREDIT_CURRENCY, amount: 1 },
    { currency: INCLUDED_USAGE_CURRENCY, amount: priceCents },
    { currency: WALLET_CURRENCY, amount: priceCents },
  ];
}

function activeLimitReached(limit: number): AppError {
  return new AppError(409, 'active_limit_reached', `Your tier allows ${limit} open orders at once.`, {
    limit,
  });
}

export async function refuseOverActiveLimit(tx: Db, userId: string, limit: number): Promise<void> {
  if ((await store.countOpen(tx, userId)) < limit) return;
  throw activeLimitReached(limit);
}

/**
 * Holds what pays for the order: the free verification credit, else the plan's included usage when
 * it covers the whole price (never split across currencies), else the wallet.
 */
export async function holdCharge(
  deps: VerificationDeps,
  tx: Db,
  userId: string,
  id: string,
  quote: Quote,
): Promise<{ id: string; amount: number; currency: ChargeCurrency }> {
  const base = { ownerId: userId, reference: holdReference(id), memo: `Verification ${quote.service}` };
  const credit = await deps.ledger.walletSummary(tx, userId, SIGNUP_CREDIT_CURRENCY);
  if (credit.balance >= 1) {
    const { hold } = await deps.ledger.hold(tx, { ...base, amount: 1, currency: SIGNUP_CREDIT_CURRENCY });
    return { id: hold.id, amount: 1, currency: SIGNUP_CREDIT_CURRENCY };
  }
  const included = await deps.ledger.holdIncludedUsage(tx, { ...base, amount: quote.totalCents });
  if (included) return { id: included.hold.id, amount: quote.totalCents, currency: INCLUDED_USAGE_CURRENCY };
  const { hold } = await deps.ledger.hold(tx, {
    ...base,
    amount: quote.totalCents,
    currency: WALLET_CURRENCY,
  });
  return { id: hold.id, amount: quote.totalCents, currency: WALLET_CURRENCY };
}

/**
 * A purchase retried with the same Idempotency-Key whose first answer was not stored (a 503 is not,
 * so that a transient failure may be retried): answer what that first attempt was. A failed order
 * is answered with the refusal it failed with, as Stripe replays a stored error — its key is spent
 * (the order will never be bought), so the message says to use a new one.
 */
function replayOf(order: store.VerificationRow): VerificationView {
  if (order.status !== 'failed') return toView(order);
  const refusal = refusalFor(order.failureCode);
  throw new AppError(
    refusal.status,
    refusal.code,
    `${refusal.message} This Idempotency-Key's order failed; use a new key to try again.`,
    { verificationId: order.id },
    { 'idempotent-replayed': 'true' },
  );
}

export async function activate(
  deps: VerificationDeps,
  order: store.VerificationRow,
  bought: Pick<BoughtNumber, 'providerId' | 'e164' | 'endsAt'>,
): Promise<store.VerificationRow> {
  const row = await store.activatePending(deps.db, order.id, {
    providerId: bought.providerId,
    phoneNumber: bought.e164,
    endsAt: bought.endsAt,
  });
  if (row) {
    await announce(deps, order.id);
    return row;
  }
  // Canceled while the number was being bought: the user is already refunded; give it back upstream.
  const abandoned = await store.attachProviderToCanceled(deps.db, order.id, bought.providerId);
  if (abandoned) await tellProvider(deps, abandoned, 'cancel', false);
  return (await store.findById(deps.db, order.id)) ?? order;
}

/** A refused create fails the order and releases its hold; an unknown outcome (null) leaves it pending. */
async function settleCreateFailure(
  deps: VerificationDeps,
  order: store.VerificationRow,
  refusal: Refusal | null,
  error: unknown,
  opts: { throwRefusal: boolean },
): Promise<VerificationView> {
  if (!refusal) {
    deps.logger.warn(
      { err: error, verificationId: order.id },
      'provider create outcome unknown; order left pending for the reconciler',
    );
    return toView((await store.findById(deps.db, order.id)) ?? order);
  }
  const failed = await failOrder(deps, order.id, refusal.code);
  if (opts.throwRefusal)
    throw new AppError(refusal.status, refusal.code, refusal.message, { verificationId: order.id });
  return toView(failed ?? order);
}

export async function failOrder(deps: VerificationDeps, id: string, failureCode: string) {
  const row = await deps.db.transaction(async (tx) => {
    const failed = await store.transition(tx, id, 'pending', 'failed', { failureCode });
    if (failed?.holdId) await deps.ledger.release(tx, failed.holdId, 'Verification failed at the provider');
    if (failed) await emitVerificationEvent(deps, tx, 'verification.failed', failed);
    return failed;
  });
  if (row) await announce(deps, id);
  // Canceled meanwhile and refused by the provider: nothing exists upstream to cancel.
  else await store.settleUpstreamIfUnbought(deps.db, id);
  return row;
}

/**
 * Orders left `pending` by an unknown provider outcome: ask the provider again with the SAME
 * idempotency key (a purchase that went through is replayed, not repeated).
 */
export async function reconcilePending(
  deps: VerificationDeps,
  opts: { olderThanMs?: number; limit?: number; attemptWindowMs?: number } = {},
): Promise<{ activated: number; failed: number; unresolved: number }> {
  const result = { activated: 0, failed: 0, unresolved: 0 };
  if (deps.routing.configured().length === 0) return result;
  const olderThanMs = opts.olderThanMs ?? 30_000;
  const olderThan = new Date(Date.now() - olderThanMs);
  for (const order of await store.stalePending(deps.db, olderThan, opts.limit ?? 100)) {
    if (!order.holdId) continue;
    const upstream = deps.routing.upstream(order.provider);
    if (!upstream) continue;
    // Handed over to this provider by a failover since: its own attempt may still be under way.
    if (order.updatedAt.getTime() > olderThan.getTime()) continue;
    const outcome = upstream.replaysPurchases
      ? await reconcileOne(deps, upstream, order)
      : await reconcileUnkeyed(deps, upstream, order, {
          settleMs: olderThanMs,
          attemptMs: opts.attemptWindowMs ?? UNKEYED_ATTEMPT_MS,
        });
    if (outcome) result[outcome]++;
  }
  return result;
}

/** How long after its purchase an order of a provider without keys may wait to be found there. */
const UNKEYED_SEARCH_MS = 30 * 60_000;
/**
 * How long one purchase attempt can take (well over the client's timeout): a number the provider
 * created within this of the attempt's start may be the order's.
 */
const UNKEYED_ATTEMPT_MS = 60_000;

/**
 * A provider without idempotency keys (5sim) cannot be asked what an unanswered purchase did, and
 * buying again would buy a second number. Its recent open numbers for the service that no order
 * claims are searched instead (bought while the order was being bought, finished by now): one
 * found becomes the order's. None found: the user gets the money back (the order fails). Only
 * while the provider cannot be read at all does the order wait, for a bounded time.
 */
async function reconcileUnkeyed(
  deps: VerificationDeps,
  upstream: Upstream,
  order: store.VerificationRow,
  timing: { settleMs: number; attemptMs: number },
): Promise<'activated' | 'failed' | 'unresolved' | null> {
  // The attempt started at the hand-over to this provider (updatedAt). Only once every purchase
  // that could have bought within its window has had its answer (settleMs more) can a number
  // found there be told apart from another order's still on its way.
  const windowEnd = order.updatedAt.getTime() + timing.attemptMs;
  if (Date.now() < windowEnd + timing.settleMs) return 'unresolved';
  if (upstream.boughtBetween) {
    let found: BoughtNumber[];
    try {
      found = await upstream.boughtBetween({
        service: order.service,
        from: new Date(order.updatedAt.getTime() - 5_000),
        to: new Date(windowEnd),
      });
    } catch (error) {
      if (Date.now() - order.updatedAt.getTime() < UNKEYED_SEARCH_MS) {
        deps.logger.warn(
          { err: error, verificationId: order.id },
          'could not search the provider; retried later',
        );
        return 'unresolved';
      }
      found = [];
    }
    const claimed = await store.claimedProviderIds(
      deps.db,
      upstream.name,
      found.map((f) => f.providerId),
    );
    const mine = found.find((f) => !claimed.has(f.providerId) && f.costCents <= order.providerCostCents);
    if (mine) {
      try {
        const row = await activate(deps, order, mine);
        return row.status === 'active' ? 'activated' : null;
      } catch (error) {
        // Claimed by another order meanwhile (unique per provider order id): look again next run.
        deps.logger.warn({ err: error, verificationId: order.id }, 'found number could not be attached');
        return 'unresolved';
      }
    }
  }
  deps.logger.error(
    { verificationId: order.id, provider: upstream.name },
    'purchase outcome unknown and no unclaimed number found at the provider; order failed and refunded',
  );
  const view = await settleCreateFailure(deps, order, refusalFor('provider_unavailable'), null, {
    throwRefusal: false,
  });
  return view.status === 'failed' ? 'failed' : null;
}

async function reconcileOne(
  deps: VerificationDeps,
  upstream: Upstream,
  order: store.VerificationRow,
): Promise<'activated' | 'failed' | 'unresolved' | null> {
  try {
    const row = await activate(deps, order, await upstream.buy(createRequestOf(order)));
    // Not active: canceled while being bought (handed back upstream by `activate`).
    return row.status === 'active' ? 'activated' : null;
  } catch (error) {
    // The same key as an earlier attempt whose outcome is unknown: refused only by an answer that
    // proves nothing was bought (see `refusalOfRetry`).
    const failure = upstream.failureOf(error);
    const refusal = failure ? refusalOfRetry(failure) : null;
    const view = await settleCreateFailure(deps, order, refusal, error, { throwRefusal: false });
    return view.status === 'failed' ? 'failed' : 'unresolved';
  }
}
