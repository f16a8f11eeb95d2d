import { setTimeout as sleep } from 'node:timers/promises';
import {
  type PaystackWebhookEvent,
  parseWebhookEvent,
  verifyWebhookSignature,
} from '../../providers/paystack/index.js';
import { type PaymentsContext, notConfigured } from './context.js';
import type { DisputeSettleOutcome } from './disputes.js';
import { isTopupReference } from './domain.js';
import type { RefundSettleOutcome } from './refunds.js';
import * as reversals from './reversal-store.js';
import type { SettleResult, SettleSource } from './settle.js';
import * as store from './store.js';

/**
 * What Paystack tells us: the signed webhook (`charge.success`, `refund.*`, `charge.dispute.*`)
 * and, for refunds and disputes, the follow-ups the reconciler keeps asking Paystack about until
 * they are final. A webhook body is only a hint: each use case asks Paystack what is true.
 */

/** How many follow-ups the reconciler checks at once. */
const FOLLOWUP_CONCURRENCY = 4;

export function createPaystackEvents(
  ctx: PaymentsContext,
  settle: {
    settleTopup: (reference: string, source: SettleSource) => Promise<SettleResult>;
    settleRefund: (paystackRefundId: number, source: string) => Promise<RefundSettleOutcome>;
    settleDispute: (paystackDisputeId: number, source: string) => Promise<DisputeSettleOutcome>;
  },
) {
  const { db, logger } = ctx;

  /**
   * Paystack redelivers until it gets a 2xx, so a 200 is only given once the event is safe: the
   * work done, or read back (a top-up) or written down (a refund or dispute follow-up) for the
   * reconciler. A database that fails here answers 5xx and Paystack delivers again. Paystack
   * counts a slow answer as a failed delivery: the answer waits at most `webhookAnswerWithinMs`.
   */
  async function answerWithin(work: Promise<unknown>, what: Record<string, unknown>): Promise<void> {
    work.catch((error: unknown) => logger.error({ err: error, ...what }, 'settling a Paystack event failed'));
    const deadline = new AbortController();
    try {
      await Promise.race([
        work,
        sleep(ctx.webhookAnswerWithinMs, undefined, { signal: deadline.signal }).catch(() => undefined),
      ]);
    } catch {
      // Logged above; the reconciler takes it from here.
    } finally {
      deadline.abort();
    }
  }

  /** Returns false for a missing or forged signature (the route answers 401). */
  async function handleWebhook(rawBody: Buffer, signature: string | string[] | undefined): Promise<boolean> {
    if (!ctx.paystackSecretKey) throw notConfigured();
    if (!verifyWebhookSignature(rawBody, signature, ctx.paystackSecretKey)) return false;
    let event: PaystackWebhookEvent;
    try {
      event = parseWebhookEvent(rawBody);
    } catch (error) {
      logger.warn({ err: error }, 'signed Paystack webhook with an unreadable body ignored');
      return true;
    }
    if (event.event === 'charge.success') await onChargeSuccess(event);
    else if (event.event.startsWith('refund.')) await onFollowed('refund', event);
    else if (event.event.startsWith('charge.dispute.')) await onFollowed('dispute', event);
    return true;
  }

  async function onChargeSuccess(event: PaystackWebhookEvent): Promise<void> {
    const reference = event.reference;
    if (reference === null || !(await store.findByReference(db, reference))) {
      logger.info({ reference }, 'webhook for an unknown reference');
      return;
    }
    await answerWithin(settle.settleTopup(reference, 'webhook'), { reference });
  }

  async function onFollowed(kind: reversals.FollowupKind, event: PaystackWebhookEvent): Promise<void> {
    const id = event.id !== null && /^\d{1,15}$/.test(event.id) ? Number(event.id) : null;
    const reference = referenceOf(event);
    if (id === null || reference === null || !(await store.findByReference(db, reference))) {
      logger.info({ event: event.event, id: event.id, reference }, 'Paystack event for nothing of ours');
      return;
    }
    await reversals.followUp(db, kind, id, reference);
    const work = kind === 'refund' ? settle.settleRefund(id, 'webhook') : settle.settleDispute(id, 'webhook');
    await answerWithin(work, { event: event.event, id });
  }

  /** The reconciler's pass over refunds and disputes not yet final; each is settled on its own. */
  async function reconcileFollowups(limit = 100): Promise<{ checked: number; errors: number }> {
    const due = await reversals.dueFollowups(db, new Date(ctx.now().getTime() - ctx.staleAfterMs), limit);
    let next = 0;
    let errors = 0;
    const worker = async () => {
      while (next < due.length) {
        const followup = due[next++]!;
        try {
          if (followup.kind === 'refund') await settle.settleRefund(followup.paystackId, 'reconciler');
          else await settle.settleDispute(followup.paystackId, 'reconciler');
        } catch (error) {
          errors += 1;
          logger.error({ err: error, ...followup }, 'following up a Paystack refund or dispute failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FOLLOWUP_CONCURRENCY, due.length) }, worker));
    return { checked: due.length, errors };
  }

  return { handleWebhook, reconcileFollowups };
}

/** The top-up reference an event is about: `transaction_reference` (refunds) or the embedded transaction's (disputes). */
function referenceOf(event: PaystackWebhookEvent): string | null {
  const transaction = event.data.transaction;
  const embedded =
    typeof transaction === 'object' && transaction !== null && !Array.isArray(transaction)
      ? (transaction as Record<string, unknown>).reference
      : undefined;
  const candidate = typeof embedded === 'string' ? embedded : event.reference;
  return candidate !== null && isTopupReference(candidate) ? candidate : null;
}
