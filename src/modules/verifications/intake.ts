/**
 * SMS intake: the webhook and the poller hand every SMS to `intakeSms`, which stores it once and,
 * on the first one in the window, completes the order and captures its hold (one transaction).
 * The expiry sweep releases the holds of orders whose window ended without an SMS.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../platform/db/database.js';
import { toE164 } from '../../providers/textverified/index.js';
import { extractCode } from './code-extraction.js';
import { announce, emitVerificationEvent, provider, type VerificationDeps } from './deps.js';
import { type ProviderName, smsDedupeKey } from './domain.js';
import * as store from './store.js';

export interface IncomingSms {
  /** The upstream that delivered it; `reservationId` is that provider's order id. */
  provider: ProviderName;
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

type Intake = { outcome: IntakeOutcome; id?: string };

const addressedTo = (sms: IncomingSms, order: store.VerificationRow) =>
  sms.to !== null && order.phoneNumber !== null && toE164(sms.to) === toE164(order.phoneNumber);

/**
 * When an SMS for a reservation we do not know yet is tried again: a webhook can outrun the
 * purchase it belongs to (the provider sold the number and sent its SMS before our activation
 * committed). Answering the provider anything but 200 risks it disabling the webhook, so the SMS
 * is kept here and taken in once the order is known; the poller is only a slow fallback.
 */
const EARLY_SMS_RETRY_MS = [1_000, 3_000, 10_000, 30_000];
/** A signed webhook can only come from the provider; still, the watch list stays bounded. */
const MAX_EARLY_SMS = 1_000;

/**
 * Takes `sms` in later if its order becomes known within the next minute or so (see above).
 * `waiting` holds the SMS being retried (one set per service instance).
 */
export function retakeEarlySms(deps: VerificationDeps, waiting: Set<string>, sms: IncomingSms): void {
  const key = `${sms.provider}:${sms.reservationId}:${sms.createdAt.getTime()}`;
  if (waiting.has(key) || waiting.size >= MAX_EARLY_SMS) return;
  waiting.add(key);
  void (async () => {
    for (const delay of EARLY_SMS_RETRY_MS) {
      await sleep(delay, undefined, { ref: false });
      try {
        if ((await intakeSms(deps, sms)) !== 'unknown_reservation') break;
      } catch (error) {
        deps.logger.warn({ err: error, reservationId: sms.reservationId }, 'early SMS not taken in');
      }
    }
    waiting.delete(key);
  })();
}

/**
 * Stores one SMS exactly once. The first in-window SMS, code or not, completes the order and
 * captures its hold: the provider charged for it and its text is shown. An SMS addressed to another
 * number than the order's is not the order's, whatever reservation the provider filed it under.
 */
export async function intakeSms(deps: VerificationDeps, sms: IncomingSms): Promise<IntakeOutcome> {
  const intake = await deps.db.transaction(async (tx): Promise<Intake> => {
    const order = await store.lockByProviderId(tx, sms.provider, sms.reservationId);
    if (!order) return { outcome: 'unknown_reservation' };
    if (!addressedTo(sms, order)) {
      deps.logger.warn(
        { verificationId: order.id, reservationId: sms.reservationId },
        "SMS addressed to another number than the order's; ignored",
      );
      return { outcome: 'not_addressed_to_order' };
    }
    return takeIn(deps, tx, order, sms);
  });
  if (intake.id) await announce(deps, intake.id);
  return intake.outcome;
}

/** The SMS of a locked order: stored once; completes the order when it is the first in the window. */
async function takeIn(
  deps: VerificationDeps,
  tx: Db,
  order: store.VerificationRow,
  sms: IncomingSms,
): Promise<Intake> {
  const code = extractCode(sms.text ?? '', {
    serviceName: order.service,
    providerParsedCode: sms.parsedCode,
  });
  const inWindow = order.endsAt === null || sms.createdAt.getTime() <= order.endsAt.getTime();
  const open = order.status === 'active' || order.status === 'completed';
  const message = await store.insertMessage(tx, {
    verificationId: order.id,
    dedupeKey: smsDedupeKey({
      provider: sms.provider,
      reservationId: sms.reservationId,
      createdAt: sms.createdAt,
      text: sms.text,
    }),
    providerMessageId: sms.providerMessageId ?? null,
    sender: sms.from,
    text: sms.text,
    code,
    receivedAt: sms.createdAt,
    afterExpiry: !open || !inWindow,
  });
  if (!message) return { outcome: 'duplicate' };
  if (order.status === 'active' && inWindow) {
    await completeAndCapture(deps, tx, order.id, code);
    return { outcome: 'completed', id: order.id };
  }
  if (order.status === 'completed' && order.code === null && inWindow && code) {
    // The first SMS carried no code the extractor found; a later one in the window names it.
    await store.nameLateCode(tx, order.id, code);
  }
  return { outcome: 'stored', id: order.id };
}

async function completeAndCapture(deps: VerificationDeps, tx: Db, id: string, code: string | null) {
  const completed = await store.transition(tx, id, 'active', 'completed', { code, completedAt: new Date() });
  if (!completed?.holdId) throw new Error(`verification ${id} could not complete although locked active`);
  const capture = await deps.ledger.capture(tx, completed.holdId, 'Verification SMS received');
  if (capture.outcome !== 'resolved') throw new Error(`hold of verification ${id} was already resolved`);
  await emitVerificationEvent(deps, tx, 'verification.completed', completed);
}

/** Reads one order's SMS from its own provider and takes in any not seen yet. */
export async function pollVerification(
  deps: VerificationDeps,
  order: Pick<store.VerificationRow, 'provider' | 'providerId'>,
) {
  if (!order.providerId) return 0;
  const list = await provider(deps, order).listSms(order.providerId);
  let taken = 0;
  for (const m of list) {
    const outcome = await intakeSms(deps, {
      provider: order.provider,
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

/**
 * The polling side of intake (the webhook is the fast path): the SMS lists of the active orders
 * due for a poll at `now` by their provider's cadence (SMS_POLL_CADENCE), at most `limit` a cycle,
 * least recently polled first. Every order read is marked polled at `now`, its poll failed or not:
 * a failing one waits for its next due time instead of holding its place ahead of the rest.
 */
export async function pollActive(
  deps: VerificationDeps,
  opts: { limit?: number; concurrency?: number; now?: Date } = {},
) {
  if (deps.routing.configured().length === 0) return { polled: 0, taken: 0, failed: 0 };
  const now = opts.now ?? new Date();
  const rows = await store.dueForPoll(deps.db, now, opts.limit ?? 500);
  let taken = 0;
  let failed = 0;
  try {
    await eachLimited(rows, opts.concurrency ?? 8, async (row) => {
      try {
        // Read first, then add: `taken += await …` would add to the value read before the await
        // and lose what the concurrent polls added meanwhile.
        const read = await pollVerification(deps, row);
        taken += read;
      } catch (error) {
        failed++;
        deps.logger.warn({ err: error, verificationId: row.id }, 'polling SMS failed');
      }
    });
  } finally {
    // Marked at the cycle's start, the instant the due check used: with a cadence equal to the
    // loop's period (jobs.ts), an order marked at the cycle's end would be due only a cycle later.
    await store.markPolled(
      deps.db,
      rows.map((row) => row.id),
      now,
    );
  }
  return { polled: rows.length, taken, failed };
}

// ---------------------------------------------------------------- expiry

/**
 * How long past its window an order whose SMS list cannot be read keeps its hold before it expires
 * anyway. Deferring protects a code that arrived in the window from being given away; the bound
 * keeps a provider that stays unreadable from locking the user's money for good. Hours against a
 * window of minutes: only a long outage reaches it, and each such expiry is logged and counted.
 */
const EXPIRY_MAX_DEFER_MS = 6 * 60 * 60_000;

type LastLook = { ok: true } | { ok: false; error: unknown };

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
  let expired = 0;
  let deferred = 0;
  for (const row of await store.pastWindow(deps.db, now, opts.limit ?? 500)) {
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
    if (!(await expireAndRelease(deps, row.id, now))) continue;
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
  return { expired, deferred };
}

async function expireAndRelease(deps: VerificationDeps, id: string, now: Date) {
  return deps.db.transaction(async (tx) => {
    const moved = await store.expireEnded(tx, id, now);
    if (moved?.holdId) await deps.ledger.release(tx, moved.holdId, 'Verification expired without an SMS');
    if (moved) await emitVerificationEvent(deps, tx, 'verification.expired', moved);
    return moved;
  });
}

async function lastLook(deps: VerificationDeps, row: store.VerificationRow): Promise<LastLook> {
  if (!deps.routing.upstream(row.provider)) {
    return { ok: false, error: new Error(`SMS provider ${row.provider} not configured`) };
  }
  try {
    await pollVerification(deps, row);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}
