/**
 * Cancel (free before the first SMS) and report. A last look at the provider's SMS list comes
 * first; the refund then happens in one transaction with the conditional transition; the provider
 * is told afterwards and, if it refuses or is unreachable, again by `retryUpstreamActions`.
 */
import { AppError, notFound } from '../../platform/errors.js';
import type { Upstream } from '../routing/index.js';
import { announce, createRequestOf, emitVerificationEvent, type VerificationDeps } from './deps.js';
import { refusalOfRetry, type UpstreamAction } from './domain.js';
import { pollVerification } from './intake.js';
import { findRenewalOf } from './renewers.js';
import * as store from './store.js';
import { toView, type VerificationView } from './views.js';

export async function cancelOrReport(
  deps: VerificationDeps,
  userId: string,
  id: string,
  action: UpstreamAction,
): Promise<VerificationView> {
  // When a code, the sweep or the number's assignment moves the order between our read and our
  // conditional update, the next pass answers from its new state; so does the last look below.
  let looked = false;
  for (let pass = 0; pass < 3; pass++) {
    const order = await store.findForUser(deps.db, id, userId);
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
    if (order.status === 'active' && !looked) {
      looked = true;
      if (await lastLookTookSms(deps, order)) continue;
    }
    const canceled = await cancelAndRelease(deps, order, order.status, action);
    if (!canceled) continue;
    await announce(deps, id);
    if (canceled.providerId) await tellProvider(deps, canceled, action, false);
    return toView((await store.findById(deps.db, id)) ?? canceled);
  }
  throw new AppError(409, 'not_cancelable', 'This verification changed while canceling; please retry.');
}

/** How long a cancel waits for the provider's SMS list before it refunds without it. */
const LAST_LOOK_MS = 3_000;

/**
 * The provider may hold an SMS we have not taken in yet (a webhook on its way or lost, a poll not
 * due): then free cancel has already ended (SPEC §4), and the provider has charged for the number.
 * So before refunding, read the order's SMS list: anything new is taken in (completing the order,
 * capturing its hold) and the caller answers from that. A provider that does not answer in time
 * does not hold the refund up; the SMS, if any, is still shown when it arrives.
 */
async function lastLookTookSms(deps: VerificationDeps, order: store.VerificationRow): Promise<boolean> {
  // A look that outlives the wait still takes its SMS in (shown as a late one).
  const look = pollVerification(deps, order).catch((error: unknown) => {
    deps.logger.warn({ err: error, verificationId: order.id }, 'last look before a cancel failed; refunding');
    return 0;
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), LAST_LOOK_MS);
  });
  try {
    const taken = await Promise.race([look, timedOut]);
    return taken !== 'timeout' && taken > 0;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Free before the first SMS, also while the number is still being bought: the money comes back
 * now, and the provider is told once its verification is known (see `activate` in purchase.ts).
 */
function cancelAndRelease(
  deps: VerificationDeps,
  order: store.VerificationRow,
  from: 'pending' | 'active',
  action: UpstreamAction,
) {
  return deps.db.transaction(async (tx) => {
    const moved = await store.transition(tx, order.id, from, 'canceled', {
      failureCode: action === 'report' ? 'reported' : 'canceled_by_user',
      upstreamAction: from === 'pending' ? 'cancel' : action,
    });
    if (moved?.holdId) {
      await deps.ledger.release(
        tx,
        moved.holdId,
        action === 'report' ? 'Number reported' : 'Verification canceled',
      );
    }
    if (moved) await emitVerificationEvent(deps, tx, 'verification.canceled', moved);
    return moved;
  });
}

/**
 * A used number is reported upstream once, however often the user presses "report" on a completed
 * order; an SMS was received (and charged for by the provider), so nothing is refunded.
 */
async function reportCompletedOnce(deps: VerificationDeps, order: store.VerificationRow) {
  const marked = await store.markReportedOnce(deps.db, order.id);
  if (marked) await tellProvider(deps, marked, 'report', true);
  return marked ?? (await store.findById(deps.db, order.id)) ?? order;
}

/**
 * Tells the order's own provider now; unless `bestEffort`, a refusal leaves the action owed for
 * the retry job.
 */
export async function tellProvider(
  deps: VerificationDeps,
  order: store.VerificationRow,
  action: UpstreamAction,
  bestEffort: boolean,
) {
  const upstream = deps.routing.upstream(order.provider);
  if (!order.providerId || !upstream) return;
  try {
    if (action === 'cancel') await upstream.cancel(order.providerId);
    else await upstream.report(order.providerId);
    if (!bestEffort) await store.settleUpstream(deps.db, order.id, true);
  } catch (error) {
    deps.logger.warn(
      { err: error, verificationId: order.id, action },
      'provider refused or missed the upstream action; retried by a job',
    );
    if (!bestEffort) await store.settleUpstream(deps.db, order.id, false);
  }
}

interface RetryOptions {
  maxAttempts?: number;
  limit?: number;
  unboughtAfterMs?: number;
}

/** Upstream cancels/reports the provider has not acknowledged yet; gives up after `maxAttempts`. */
export async function retryUpstreamActions(deps: VerificationDeps, opts: RetryOptions = {}) {
  if (deps.routing.configured().length === 0) return { done: 0, pending: 0 };
  const maxAttempts = opts.maxAttempts ?? 10;
  let done = 0;
  let pending = 0;
  for (const order of await store.owedUpstream(deps.db, opts.limit ?? 100)) {
    const upstream = deps.routing.upstream(order.provider);
    if (!upstream) continue;
    try {
      if (!(await sendOwedAction(deps, upstream, order, opts.unboughtAfterMs ?? 30_000))) continue;
      await store.settleUpstream(deps.db, order.id, true);
      done++;
    } catch (error) {
      if (upstream.failureOf(error)?.circuitOpen) {
        // Nothing was sent: not an attempt, and never a reason to give up on a number we may own.
        pending++;
        continue;
      }
      if (order.upstreamAttempts + 1 >= maxAttempts) {
        deps.logger.warn({ err: error, verificationId: order.id }, 'giving up on the upstream action');
        await store.settleUpstream(deps.db, order.id, true);
      } else {
        await store.settleUpstream(deps.db, order.id, false);
        pending++;
      }
    }
  }
  return { done, pending };
}

/** The owed cancel or report; false when it is too early to ask about an order never seen bought. */
async function sendOwedAction(
  deps: VerificationDeps,
  upstream: Upstream,
  order: store.VerificationRow,
  unboughtAfterMs: number,
): Promise<boolean> {
  if (!order.providerId) {
    if (Date.now() - order.updatedAt.getTime() < unboughtAfterMs) return false;
    await cancelIfBought(deps, upstream, order);
  } else if (order.upstreamAction === 'report') await upstream.report(order.providerId);
  else await upstream.cancel(order.providerId);
  return true;
}

/**
 * Canceled while its number was being bought and the outcome never came back: ask the provider
 * with the order's own key (a purchase that happened is replayed, then canceled). A provider
 * without keys cannot be asked without buying again: nothing more is done (a number bought
 * there, if any, lapses unused at the end of its window).
 */
async function cancelIfBought(deps: VerificationDeps, upstream: Upstream, order: store.VerificationRow) {
  // A renewal is never repeated (no idempotency key upstream): the provider's orders are listed.
  if (order.reusedFrom) {
    const renewed = await findRenewalOf(deps, order);
    if (!renewed) return;
    await store.attachProviderToCanceled(deps.db, order.id, renewed.providerId);
    await upstream.cancel(renewed.providerId);
    return;
  }
  if (!upstream.replaysPurchases) return;
  const bought = await upstream.buy(createRequestOf(order)).catch((error: unknown) => {
    const failure = upstream.failureOf(error);
    if (failure && refusalOfRetry(failure)) return null; // nothing was bought
    throw error;
  });
  if (!bought) return;
  await store.attachProviderToCanceled(deps.db, order.id, bought.providerId);
  await upstream.cancel(bought.providerId);
}
