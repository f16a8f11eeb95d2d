/**
 * Verifications, read top to bottom as named phases with recovery points (never a database
 * transaction across an HTTP call):
 *   purchase: (1) tx: order `pending` + ledger hold → (2) provider create, keyed by the order →
 *             (3) tx: `active` with the number | refused: `failed` + release | unknown: stays
 *             `pending` and `reconcilePending` asks again with the SAME key.
 *   intake:   tx: message (once per SMS) + on the first SMS (code or not) `completed` + capture.
 *   cancel/report/expiry: tx: conditional transition + release; the provider is told afterwards
 *             (and again by `retryUpstreamActions` if it refused).
 * Every transition is conditional on the current status and the ledger resolves a hold once.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../platform/db/database.js';
import { AppError, notFound, providerUnavailable } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import {
  isTextVerifiedError,
  toE164,
  type TextVerifiedClient,
  type TextVerifiedVerification,
} from '../../providers/textverified/index.js';
import type { Capability, CatalogService } from '../catalog/index.js';
import { type LedgerService, WALLET_CURRENCY } from '../ledger/index.js';
import type { TiersService } from '../tiers/index.js';
import { extractCode } from './code-extraction.js';
import {
  holdReference,
  providerIdempotencyKey,
  refusalFor,
  refusalOf,
  refusalOfRetry,
  smsDedupeKey,
  type VerificationStatus,
  verificationIdFor,
} from './domain.js';
import type { VerificationEventBus } from './events.js';
import * as store from './store.js';

export interface VerificationDeps {
  db: Db;
  logger: Pick<Logger, 'warn' | 'error'>;
  metrics: Pick<Metrics, 'expiryDeferrals'>;
  textVerified: TextVerifiedClient | undefined;
  ledger: LedgerService;
  tiers: TiersService;
  catalog: CatalogService;
  /** Announces committed changes to the SSE streams of every instance. */
  events: VerificationEventBus;
}

export interface PurchaseInput {
  service: string;
  country: string;
  capability?: Capability;
  areaCodes?: string[];
  carrier?: string;
  /** Refuse (409 price_changed) when the quote is above this, in cents. */
  maxPrice?: number;
}

export interface MessageView {
  id: string;
  from: string | null;
  text: string | null;
  code: string | null;
  receivedAt: string;
  afterExpiry: boolean;
}

export interface VerificationView {
  id: string;
  status: VerificationStatus;
  service: string;
  country: string;
  capability: Capability;
  options: { areaCodes?: string[]; carrier?: string };
  phoneNumber: string | null;
  /** Cents of USD, or 1 free-verification credit. */
  price: { amount: number; currency: 'USD' | 'CREDIT' };
  code: string | null;
  expiresAt: string | null;
  failureCode: string | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  messages?: MessageView[];
}

export function toMessageView(m: store.MessageRow): MessageView {
  return {
    id: m.id,
    from: m.sender,
    text: m.text,
    code: m.code,
    receivedAt: m.receivedAt.toISOString(),
    afterExpiry: m.afterExpiry,
  };
}

export function toView(row: store.VerificationRow, messages?: store.MessageRow[]): VerificationView {
  return {
    id: row.id,
    status: row.status as VerificationStatus,
    service: row.service,
    country: row.country,
    capability: row.capability as Capability,
    options: row.options,
    phoneNumber: row.phoneNumber,
    price: { amount: row.chargeAmount, currency: row.currency as 'USD' | 'CREDIT' },
    code: row.code,
    expiresAt: row.endsAt?.toISOString() ?? null,
    failureCode: row.failureCode,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    ...(messages
      ? {
          messages: messages.map(toMessageView),
        }
      : {}),
  };
}

const db = (deps: VerificationDeps): Db => deps.db;

function provider(deps: VerificationDeps): TextVerifiedClient {
  const client = deps.textVerified;
  if (!client) throw providerUnavailable('The SMS provider is not configured.');
  return client;
}

const announce = (deps: VerificationDeps, id: string) => deps.events.publish(id);

// ---------------------------------------------------------------- purchase

export async function purchase(
  deps: VerificationDeps,
  principal: { userId: string; tier: string },
  input: PurchaseInput,
  opts: { idempotencyKey?: string | null } = {},
): Promise<VerificationView> {
  const client = provider(deps);
  const capability = input.capability ?? 'sms';
  const areaCodes = input.areaCodes?.length ? input.areaCodes : undefined;
  const quote = await deps.catalog.quote({
    tierName: principal.tier,
    service: input.service,
    country: input.country,
    capability,
    areaCode: areaCodes !== undefined,
    carrier: input.carrier !== undefined,
  });
  if (input.maxPrice !== undefined && quote.totalCents > input.maxPrice) {
    throw new AppError(409, 'price_changed', 'The price is above your maxPrice; get a new quote.', {
      price: { amount: quote.totalCents, currency: 'USD' },
    });
  }
  const id = opts.idempotencyKey ? verificationIdFor(principal.userId, opts.idempotencyKey) : randomUUID();
  const known = await store.findForUser(db(deps), id, principal.userId);
  if (known) return replayOf(known);
  const tier = await deps.tiers.get(principal.tier);

  // Phase 1: the order and its hold, together.
  const order = await db(deps).transaction(async (tx) => {
    await store.lockUserPurchases(tx, principal.userId);
    if ((await store.countOpen(tx, principal.userId)) >= tier.maxActiveOrders) {
      throw new AppError(
        409,
        'active_limit_reached',
        `Your tier allows ${tier.maxActiveOrders} open orders at once.`,
        {
          limit: tier.maxActiveOrders,
        },
      );
    }
    // The free verification credit is spent before money.
    const credit = await deps.ledger.walletSummary(tx, principal.userId, 'CREDIT');
    const currency = credit.balance >= 1 ? 'CREDIT' : WALLET_CURRENCY;
    const chargeAmount = currency === 'CREDIT' ? 1 : quote.totalCents;
    const created = await store.insertPending(tx, {
      id,
      userId: principal.userId,
      service: quote.service,
      country: quote.country,
      capability,
      options: { ...(areaCodes ? { areaCodes } : {}), ...(input.carrier ? { carrier: input.carrier } : {}) },
      priceCents: quote.totalCents,
      chargeAmount,
      currency,
      providerCostCents: quote.providerCostCents,
      status: 'pending',
    });
    if (!created) return undefined;
    const { hold } = await deps.ledger.hold(tx, {
      ownerId: principal.userId,
      amount: chargeAmount,
      currency,
      reference: holdReference(id),
      memo: `Verification ${quote.service}`,
    });
    await store.setHold(tx, id, hold.id);
    return { ...created, holdId: hold.id };
  });
  if (!order) {
    // The same Idempotency-Key raced us to the insert: answer with that order.
    const existing = await store.findForUser(db(deps), id, principal.userId);
    if (!existing) throw notFound('Verification');
    return replayOf(existing);
  }
  await announce(deps, id);

  // Phase 2: the provider, keyed by the order so any retry is the same purchase.
  let bought: TextVerifiedVerification;
  try {
    bought = await client.createVerification(createRequestOf(order), {
      idempotencyKey: providerIdempotencyKey(id),
    });
  } catch (error) {
    return settleCreateFailure(deps, order, error, { throwRefusal: true, retry: false });
  }
  // Phase 3.
  return toView(await activate(deps, order, bought));
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

function createRequestOf(order: store.VerificationRow) {
  return {
    serviceName: order.service,
    capability: order.capability as Capability,
    ...(order.options.areaCodes ? { areaCodes: order.options.areaCodes } : {}),
    ...(order.options.carrier ? { carriers: [order.options.carrier] } : {}),
    maxPriceCents: order.providerCostCents,
  };
}

async function activate(
  deps: VerificationDeps,
  order: store.VerificationRow,
  bought: TextVerifiedVerification,
): Promise<store.VerificationRow> {
  const row = await store.transition(db(deps), order.id, 'pending', 'active', {
    providerId: bought.id,
    phoneNumber: bought.e164,
    endsAt: bought.endsAt,
  });
  if (row) {
    await announce(deps, order.id);
    return row;
  }
  // Canceled while the number was being bought: the user is already refunded; give it back upstream.
  const abandoned = await store.attachProviderToCanceled(db(deps), order.id, bought.id);
  if (abandoned) await tellProvider(deps, abandoned, 'cancel', false);
  return (await store.findById(db(deps), order.id)) ?? order;
}

/**
 * A refused create fails the order and releases its hold; an unknown outcome leaves it pending.
 * A `retry` (same key as an earlier attempt whose outcome is unknown) is refused only by an answer
 * that proves nothing was bought (see `refusalOfRetry`).
 */
async function settleCreateFailure(
  deps: VerificationDeps,
  order: store.VerificationRow,
  error: unknown,
  opts: { throwRefusal: boolean; retry: boolean },
): Promise<VerificationView> {
  const refusal = isTextVerifiedError(error) ? (opts.retry ? refusalOfRetry(error) : refusalOf(error)) : null;
  if (!refusal) {
    deps.logger.warn(
      { err: error, verificationId: order.id },
      'provider create outcome unknown; order left pending for the reconciler',
    );
    return toView((await store.findById(db(deps), order.id)) ?? order);
  }
  const failed = await failOrder(deps, order.id, refusal.code);
  if (opts.throwRefusal)
    throw new AppError(refusal.status, refusal.code, refusal.message, { verificationId: order.id });
  return toView(failed ?? order);
}

async function failOrder(deps: VerificationDeps, id: string, failureCode: string) {
  const row = await db(deps).transaction(async (tx) => {
    const failed = await store.transition(tx, id, 'pending', 'failed', { failureCode });
    if (failed?.holdId) await deps.ledger.release(tx, failed.holdId, 'Verification failed at the provider');
    return failed;
  });
  if (row) await announce(deps, id);
  // Canceled meanwhile and refused by the provider: nothing exists upstream to cancel.
  else await store.settleUpstreamIfUnbought(db(deps), id);
  return row;
}

// ---------------------------------------------------------------- reconciler

/**
 * Orders left `pending` by an unknown provider outcome: ask the provider again with the SAME
 * idempotency key (a purchase that went through is replayed, not repeated).
 */
export async function reconcilePending(
  deps: VerificationDeps,
  opts: { olderThanMs?: number; limit?: number } = {},
): Promise<{ activated: number; failed: number; unresolved: number }> {
  const result = { activated: 0, failed: 0, unresolved: 0 };
  const client = deps.textVerified;
  if (!client) return result;
  const rows = await store.stalePending(
    db(deps),
    new Date(Date.now() - (opts.olderThanMs ?? 30_000)),
    opts.limit ?? 100,
  );
  for (const order of rows) {
    if (!order.holdId) continue;
    try {
      const bought = await client.createVerification(createRequestOf(order), {
        idempotencyKey: providerIdempotencyKey(order.id),
      });
      const row = await activate(deps, order, bought);
      if (row.status === 'active') result.activated++;
    } catch (error) {
      const view = await settleCreateFailure(deps, order, error, { throwRefusal: false, retry: true });
      if (view.status === 'failed') result.failed++;
      else result.unresolved++;
    }
  }
  return result;
}

// ---------------------------------------------------------------- SMS intake

export interface IncomingSms {
  reservationId: string;
  /** The number the SMS was sent to; only the order's own number counts. */
  to: string | null;
  createdAt: Date;
  text: string | null;
  parsedCode: string | null;
  from: string | null;
  providerMessageId?: string | null;
}

export type IntakeOutcome =
  'unknown_reservation' | 'not_addressed_to_order' | 'duplicate' | 'stored' | 'completed';

const addressedTo = (sms: IncomingSms, order: store.VerificationRow) =>
  sms.to !== null && order.phoneNumber !== null && toE164(sms.to) === toE164(order.phoneNumber);

/**
 * Stores one SMS exactly once. The first in-window SMS, code or not, completes the order and
 * captures its hold: the provider charged for it and its text is shown. An SMS addressed to another
 * number than the order's is not the order's, whatever reservation the provider filed it under.
 */
export async function intakeSms(deps: VerificationDeps, sms: IncomingSms): Promise<IntakeOutcome> {
  const outcome = await db(deps).transaction(async (tx) => {
    const order = await store.lockByProviderId(tx, sms.reservationId);
    if (!order) return { outcome: 'unknown_reservation' as const };
    if (!addressedTo(sms, order)) {
      deps.logger.warn(
        { verificationId: order.id, reservationId: sms.reservationId },
        "SMS addressed to another number than the order's; ignored",
      );
      return { outcome: 'not_addressed_to_order' as const };
    }
    const code = extractCode(sms.text ?? '', {
      serviceName: order.service,
      providerParsedCode: sms.parsedCode,
    });
    const inWindow = order.endsAt === null || sms.createdAt.getTime() <= order.endsAt.getTime();
    const open = order.status === 'active' || order.status === 'completed';
    const message = await store.insertMessage(tx, {
      verificationId: order.id,
      dedupeKey: smsDedupeKey({ reservationId: sms.reservationId, createdAt: sms.createdAt, text: sms.text }),
      providerMessageId: sms.providerMessageId ?? null,
      sender: sms.from,
      text: sms.text,
      code,
      receivedAt: sms.createdAt,
      afterExpiry: !open || !inWindow,
    });
    if (!message) return { outcome: 'duplicate' as const };
    if (order.status === 'active' && inWindow) {
      const completed = await store.transition(tx, order.id, 'active', 'completed', {
        code,
        completedAt: new Date(),
      });
      if (!completed?.holdId)
        throw new Error(`verification ${order.id} could not complete although locked active`);
      const capture = await deps.ledger.capture(tx, completed.holdId, 'Verification SMS received');
      if (capture.outcome !== 'resolved')
        throw new Error(`hold of verification ${order.id} was already resolved`);
      return { outcome: 'completed' as const, id: order.id };
    }
    if (order.status === 'completed' && order.code === null && inWindow && code) {
      // The first SMS carried no code the extractor found; a later one in the window names it.
      await store.nameLateCode(tx, order.id, code);
    }
    return { outcome: 'stored' as const, id: order.id };
  });
  if ('id' in outcome && outcome.id) await announce(deps, outcome.id);
  return outcome.outcome;
}

/** Reads one order's SMS from the provider and takes in any not seen yet. */
export async function pollVerification(
  deps: VerificationDeps,
  order: Pick<store.VerificationRow, 'providerId'>,
) {
  if (!order.providerId) return 0;
  const list = await provider(deps).listSms({ reservationId: order.providerId });
  let taken = 0;
  for (const m of list) {
    const outcome = await intakeSms(deps, {
      reservationId: order.providerId,
      to: m.to,
      createdAt: m.createdAt,
      text: m.text,
      parsedCode: m.parsedCode,
      from: m.from,
      providerMessageId: m.id,
    });
    if (outcome === 'stored' || outcome === 'completed') taken++;
  }
  return taken;
}

async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** The polling side of intake: every active order's SMS list (the webhook is the fast path). */
export async function pollActive(
  deps: VerificationDeps,
  opts: { limit?: number; concurrency?: number } = {},
) {
  if (!deps.textVerified) return { polled: 0, taken: 0 };
  const rows = await store.activeWithProvider(db(deps), opts.limit ?? 500);
  let taken = 0;
  await eachLimited(rows, opts.concurrency ?? 8, async (row) => {
    try {
      taken += await pollVerification(deps, row);
    } catch (error) {
      deps.logger.warn({ err: error, verificationId: row.id }, 'polling SMS failed');
    }
  });
  return { polled: rows.length, taken };
}

// ---------------------------------------------------------------- expiry

/**
 * How long past its window an order whose SMS list cannot be read keeps its hold before it expires
 * anyway. Deferring protects a code that arrived in the window from being given away; the bound
 * keeps a provider that stays unreadable from locking the user's money for good. Hours against a
 * window of minutes: only a long outage reaches it, and each such expiry is logged and counted.
 */
export const EXPIRY_MAX_DEFER_MS = 6 * 60 * 60_000;

/**
 * Active orders past their window with no SMS: `expired`, hold released — only after a successful
 * last look at the provider (an SMS that arrived in the window but was not taken in still counts).
 * A failed look defers the order to the next sweep, up to `maxDeferMs` past its window.
 */
export async function sweepExpired(
  deps: VerificationDeps,
  opts: { now?: Date; limit?: number; maxDeferMs?: number } = {},
) {
  const now = opts.now ?? new Date();
  const maxDeferMs = opts.maxDeferMs ?? EXPIRY_MAX_DEFER_MS;
  const rows = await store.pastWindow(db(deps), now, opts.limit ?? 500);
  let expired = 0;
  let deferred = 0;
  for (const row of rows) {
    const look = await lastLook(deps, row);
    const overdueMs = now.getTime() - (row.endsAt?.getTime() ?? now.getTime());
    if (!look.ok && overdueMs < maxDeferMs) {
      deps.logger.warn(
        { err: look.error, verificationId: row.id, overdueMs },
        'last look at the provider failed; expiry deferred to the next sweep',
      );
      deps.metrics.expiryDeferrals.inc({ outcome: 'deferred' });
      deferred++;
      continue;
    }
    const done = await db(deps).transaction(async (tx) => {
      const moved = await store.expireEnded(tx, row.id, now);
      if (moved?.holdId) await deps.ledger.release(tx, moved.holdId, 'Verification expired without an SMS');
      return moved;
    });
    if (done) {
      expired++;
      if (!look.ok) {
        deps.logger.error(
          { err: look.error, verificationId: row.id, overdueMs, maxDeferMs },
          'provider unreadable past the deferral bound; order expired without a last look',
        );
        deps.metrics.expiryDeferrals.inc({ outcome: 'expired_unchecked' });
      }
      await announce(deps, row.id);
    }
  }
  return { expired, deferred };
}

async function lastLook(
  deps: VerificationDeps,
  row: store.VerificationRow,
): Promise<{ ok: true } | { ok: false; error: unknown }> {
  if (!deps.textVerified) return { ok: false, error: new Error('no SMS provider configured') };
  try {
    await pollVerification(deps, row);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

// ---------------------------------------------------------------- cancel / report

/**
 * Cancel (free before the first SMS) or report a number. The refund happens here, at once; the
 * provider is told afterwards and, if it refuses or is unreachable, again by `retryUpstreamActions`.
 */
export async function cancelOrReport(
  deps: VerificationDeps,
  userId: string,
  id: string,
  action: 'cancel' | 'report',
): Promise<VerificationView> {
  // Two passes: when a code, the sweep or the number's assignment moves the order between our read
  // and our conditional update, the second pass answers from its new state.
  for (let pass = 0; pass < 2; pass++) {
    const order = await store.findForUser(db(deps), id, userId);
    if (!order) throw notFound('Verification');
    if (order.status === 'canceled') return toView(order); // asked twice: same answer
    if (order.status === 'completed') {
      if (action === 'cancel') {
        throw new AppError(
          409,
          'already_completed',
          'An SMS was already received (the provider charged for it); this order cannot be canceled.',
        );
      }
      return toView(await reportCompletedOnce(deps, order));
    }
    if (order.status !== 'active' && order.status !== 'pending') {
      throw new AppError(
        409,
        'not_cancelable',
        `A ${order.status} verification cannot be ${action === 'cancel' ? 'canceled' : 'reported'}.`,
      );
    }
    // Free before the first SMS, also while the number is still being bought: the money comes back
    // now, and the provider is told once its verification is known (see `activate`).
    const canceled = await db(deps).transaction(async (tx) => {
      const moved = await store.transition(tx, id, order.status as VerificationStatus, 'canceled', {
        failureCode: action === 'report' ? 'reported' : 'canceled_by_user',
        upstreamAction: order.status === 'pending' ? 'cancel' : action,
      });
      if (moved?.holdId) {
        await deps.ledger.release(
          tx,
          moved.holdId,
          action === 'report' ? 'Number reported' : 'Verification canceled',
        );
      }
      return moved;
    });
    if (!canceled) continue;
    await announce(deps, id);
    if (canceled.providerId) await tellProvider(deps, canceled, action, false);
    return toView((await store.findById(db(deps), id)) ?? canceled);
  }
  throw new AppError(409, 'not_cancelable', 'This verification changed while canceling; please retry.');
}

/**
 * A used number is reported upstream once, however often the user presses "report" on a completed
 * order; an SMS was received (and charged for by the provider), so nothing is refunded.
 */
async function reportCompletedOnce(deps: VerificationDeps, order: store.VerificationRow) {
  const marked = await store.markReportedOnce(db(deps), order.id);
  if (marked) await tellProvider(deps, marked, 'report', true);
  return marked ?? (await store.findById(db(deps), order.id)) ?? order;
}

async function tellProvider(
  deps: VerificationDeps,
  order: store.VerificationRow,
  action: 'cancel' | 'report',
  bestEffort: boolean,
) {
  const client = deps.textVerified;
  if (!order.providerId || !client) return;
  try {
    if (action === 'cancel') await client.cancelVerification(order.providerId);
    else await client.reportVerification(order.providerId);
    if (!bestEffort) await store.settleUpstream(db(deps), order.id, true);
  } catch (error) {
    deps.logger.warn(
      { err: error, verificationId: order.id, action },
      'provider refused or missed the upstream action; retried by a job',
    );
    if (!bestEffort) await store.settleUpstream(db(deps), order.id, false);
  }
}

/** Upstream cancels/reports the provider has not acknowledged yet; gives up after `maxAttempts`. */
export async function retryUpstreamActions(
  deps: VerificationDeps,
  opts: { maxAttempts?: number; limit?: number; unboughtAfterMs?: number } = {},
) {
  const client = deps.textVerified;
  if (!client) return { done: 0, pending: 0 };
  const maxAttempts = opts.maxAttempts ?? 10;
  let done = 0;
  let pending = 0;
  for (const order of await store.owedUpstream(db(deps), opts.limit ?? 100)) {
    try {
      if (!order.providerId) {
        // Canceled while its number was being bought and the outcome never came back: ask the
        // provider with the order's own key (a purchase that happened is replayed, then canceled).
        if (Date.now() - order.updatedAt.getTime() < (opts.unboughtAfterMs ?? 30_000)) continue;
        const bought = await client
          .createVerification(createRequestOf(order), { idempotencyKey: providerIdempotencyKey(order.id) })
          .catch((error: unknown) => {
            if (isTextVerifiedError(error) && refusalOfRetry(error)) return null; // nothing was bought
            throw error;
          });
        if (bought) {
          await store.attachProviderToCanceled(db(deps), order.id, bought.id);
          await client.cancelVerification(bought.id);
        }
      } else if (order.upstreamAction === 'report') await client.reportVerification(order.providerId);
      else await client.cancelVerification(order.providerId);
      await store.settleUpstream(db(deps), order.id, true);
      done++;
    } catch (error) {
      if (isTextVerifiedError(error) && error.circuitOpen) {
        // Nothing was sent: not an attempt, and never a reason to give up on a number we may own.
        pending++;
        continue;
      }
      if (order.upstreamAttempts + 1 >= maxAttempts) {
        deps.logger.warn({ err: error, verificationId: order.id }, 'giving up on the upstream action');
        await store.settleUpstream(db(deps), order.id, true);
      } else {
        await store.settleUpstream(db(deps), order.id, false);
        pending++;
      }
    }
  }
  return { done, pending };
}

// ---------------------------------------------------------------- reads

export async function getVerification(
  deps: VerificationDeps,
  userId: string,
  id: string,
): Promise<VerificationView> {
  const order = await store.findForUser(db(deps), id, userId);
  if (!order) throw notFound('Verification');
  return toView(order, await store.messagesOf(db(deps), id));
}

export async function listVerifications(
  deps: VerificationDeps,
  userId: string,
  query: {
    statuses?: VerificationStatus[];
    service?: string;
    before?: { createdAt: Date; id: string };
    limit: number;
  },
) {
  const rows = await store.listForUser(db(deps), userId, { ...query, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return { rows: page, hasMore: rows.length > query.limit, last };
}

/** The verifications use cases, bound to their dependencies (built once by the composition root). */
export function createVerificationsService(deps: VerificationDeps) {
  return {
    purchase: (
      principal: { userId: string; tier: string },
      input: PurchaseInput,
      opts?: { idempotencyKey?: string | null },
    ) => purchase(deps, principal, input, opts),
    reconcilePending: (opts?: Parameters<typeof reconcilePending>[1]) => reconcilePending(deps, opts),
    intakeSms: (sms: IncomingSms) => intakeSms(deps, sms),
    pollVerification: (order: Parameters<typeof pollVerification>[1]) => pollVerification(deps, order),
    pollActive: (opts?: Parameters<typeof pollActive>[1]) => pollActive(deps, opts),
    sweepExpired: (opts?: Parameters<typeof sweepExpired>[1]) => sweepExpired(deps, opts),
    cancelOrReport: (userId: string, id: string, action: Parameters<typeof cancelOrReport>[3]) =>
      cancelOrReport(deps, userId, id, action),
    retryUpstreamActions: (opts?: Parameters<typeof retryUpstreamActions>[1]) =>
      retryUpstreamActions(deps, opts),
    getVerification: (userId: string, id: string) => getVerification(deps, userId, id),
    listVerifications: (userId: string, query: Parameters<typeof listVerifications>[2]) =>
      listVerifications(deps, userId, query),
    /** The caller's own order (undefined for another user's or an unknown id), for the event stream. */
    ownOrder: (userId: string, id: string) => store.findForUser(deps.db, id, userId),
    messagesOf: (id: string) => store.messagesOf(deps.db, id),
    /** Calls `listener` when the order changes (on any instance); returns the unsubscribe. */
    subscribe: (id: string, listener: () => void) => deps.events.subscribe(id, listener),
  };
}
export type VerificationsService = ReturnType<typeof createVerificationsService>;
