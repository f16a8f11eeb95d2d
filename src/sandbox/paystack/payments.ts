/**
 * What happens when money moves in the sandbox, whoever moves it (the API, the checkout page or
 * the test control): the store changes and Paystack's events go out (`charge.success`,
 * `refund.pending`, `refund.processed`, `refund.failed`, `charge.dispute.create|remind|resolve`).
 */
import type { Holds } from '../faults.js';
import type {
  SandboxDispute,
  SandboxDisputeResolution,
  SandboxRefund,
  SandboxTransaction,
  PaystackSandboxStore,
} from './store.js';
import type { WebhookDispatcher } from './webhooks.js';
import { chargeEventData, disputeJson, refundEventData } from './wire.js';

export interface PayOptions {
  /** Charge this amount instead of the initialized one (mismatch tests). */
  amountMinor?: number;
  /** Charge in this currency instead of the initialized one (mismatch tests). */
  currency?: string;
  /** Send `charge.success` (default true). */
  sendWebhook?: boolean;
}

export interface PaymentsDeps {
  store: PaystackSandboxStore;
  webhooks: WebhookDispatcher;
  /** Refunds move pending → processed after this delay; null = only via control. */
  refundDelayMs: number | null;
  holds: Holds;
  closed: () => boolean;
}

export type Payments = ReturnType<typeof createPayments>;

export function createPayments({ store, webhooks, refundDelayMs, holds, closed }: PaymentsDeps) {
  const sendEvent = (event: string, data: Record<string, unknown>, signature: boolean | string = true) =>
    webhooks.send(JSON.stringify({ event, data }), { signature });

  const finishRefund = (refund: SandboxRefund) => {
    store.processRefund(refund);
    sendEvent('refund.processed', refundEventData(refund, store.findById(refund.transactionId)));
  };

  const refundEvent = (refund: SandboxRefund) =>
    sendEvent(`refund.${refund.status}`, refundEventData(refund, store.findById(refund.transactionId)));
  const disputeEvent = (event: 'create' | 'remind' | 'resolve', dispute: SandboxDispute) =>
    sendEvent(`charge.dispute.${event}`, disputeJson(dispute, store.findById(dispute.transactionId)));

  return {
    sendEvent,
    finishRefund,
    /** Sends the refund's event for its current status again (replays). */
    refundEvent,
    disputeEvent,

    failRefund(refund: SandboxRefund) {
      store.failRefund(refund);
      return refundEvent(refund);
    },

    openDispute(tx: SandboxTransaction, input: { amount?: number; category?: string }) {
      const dispute = store.createDispute(tx, input);
      disputeEvent('create', dispute);
      return dispute;
    },

    resolveDispute(dispute: SandboxDispute, resolution: SandboxDisputeResolution, refundAmount?: number) {
      store.resolveDispute(dispute, resolution, refundAmount);
      disputeEvent('resolve', dispute);
      return dispute;
    },

    /** Sends `refund.pending` and processes the refund after the configured delay. */
    refundQueued(refund: SandboxRefund, tx: SandboxTransaction) {
      sendEvent('refund.pending', refundEventData(refund, tx));
      if (refundDelayMs === null) return;
      void holds.hold(refundDelayMs).then(() => {
        if (!closed() && refund.status === 'pending') finishRefund(refund);
      });
    },

    settle(tx: SandboxTransaction, outcome: 'success' | 'failed', pay: PayOptions = {}) {
      store.settle(tx, outcome, { amount: pay.amountMinor, currency: pay.currency });
      if (outcome === 'success' && pay.sendWebhook !== false)
        sendEvent('charge.success', chargeEventData(tx));
      return tx;
    },
  };
}
