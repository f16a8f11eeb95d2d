/**
 * The test-only control of the Paystack sandbox: the in-process `control` object and the same
 * operations over HTTP under `/_control/` (answers `{error:{code,message}}` on failure).
 */
import type { FastifyInstance } from 'fastify';
import type { FaultRule, SandboxFaults, SandboxRequestRecord } from './faults.js';
import { asRecord, parseAmount } from './parse.js';
import type { PayOptions, Payments } from './payments.js';
import {
  SandboxStoreError,
  type PaystackSandboxStore,
  type SandboxDisputeResolution,
  type SandboxTransaction,
} from './store.js';
import type { WebhookDelivery, WebhookDispatcher } from './webhooks.js';
import { chargeEventData, disputeJson, refundJson, transactionJson } from './wire.js';

export interface PaystackSandboxControl {
  /** Pays a pending transaction as if the customer pressed Pay (fires `charge.success`). */
  pay(reference: string, options?: PayOptions): Record<string, unknown>;
  /** Declines a pending transaction (no webhook). */
  decline(reference: string): Record<string, unknown>;
  /** Sends the transaction's `charge.success` event `times` times concurrently; resolves when all finished. */
  resendWebhook(reference: string, times?: number): Promise<WebhookDelivery[]>;
  /** Sends an arbitrary body. `signature`: true = sign (default), false = no header, string = that header. */
  sendWebhook(body: string | object, options?: { signature?: boolean | string }): Promise<WebhookDelivery>;
  failNext(rule: FaultRule): void;
  clearFaults(): void;
  /** Outage: every API path answers 503 (checkout and control keep working). */
  setOutage(enabled: boolean): void;
  setWebhookUrl(url: string | undefined): void;
  webhooks(): WebhookDelivery[];
  requests(filter?: { path?: string; method?: string }): SandboxRequestRecord[];
  transaction(reference: string): Record<string, unknown> | undefined;
  transactions(): Record<string, unknown>[];
  /** Moves a pending refund to processed (fires `refund.processed`). */
  processRefund(id: number): Record<string, unknown>;
  /** Fails a pending refund (fires `refund.failed`; the amount is refundable again). */
  failRefund(id: number): Record<string, unknown>;
  /** Sends the refund's event for its current status `times` times concurrently (replays). */
  resendRefundWebhook(id: number, times?: number): Promise<WebhookDelivery[]>;
  /** The payer's bank disputes a paid transaction (fires `charge.dispute.create`). */
  openDispute(
    reference: string,
    options?: { amountMinor?: number; category?: string },
  ): Record<string, unknown>;
  /** Fires `charge.dispute.remind` for an open dispute. */
  remindDispute(id: number): Promise<WebhookDelivery>;
  /**
   * Resolves a dispute (fires `charge.dispute.resolve`): `merchant-accepted` = the payer keeps
   * `refundAmountMinor` (default the disputed amount), `declined` = the merchant keeps the money.
   */
  resolveDispute(
    id: number,
    resolution: SandboxDisputeResolution,
    options?: { refundAmountMinor?: number },
  ): Record<string, unknown>;
  /** Sends the dispute's latest event (`create`, or `resolve` once resolved) `times` times concurrently. */
  resendDisputeWebhook(id: number, times?: number): Promise<WebhookDelivery[]>;
  dispute(id: number): Record<string, unknown> | undefined;
  /** Resolves when no webhook delivery (or retry) is in progress. */
  settled(): Promise<void>;
  /** Forgets transactions, refunds, logs, faults and outage. */
  reset(): void;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ControlDeps {
  store: PaystackSandboxStore;
  webhooks: WebhookDispatcher;
  payments: Payments;
  faults: SandboxFaults;
  setOutage(enabled: boolean): void;
}

export function createControl({
  store,
  webhooks,
  payments,
  faults,
  setOutage,
}: ControlDeps): PaystackSandboxControl {
  const pendingTx = (reference: string) => {
    const tx = store.findByReference(reference);
    if (!tx) throw new ControlError(404, 'not_found', `No transaction with reference ${reference}`);
    return tx;
  };

  /** Runs a store change, turning its refusals into control errors (4xx over HTTP). */
  const storeStep = <T>(step: () => T): T => {
    try {
      return step();
    } catch (error) {
      if (error instanceof SandboxStoreError) throw new ControlError(error.status, error.code, error.message);
      throw error;
    }
  };
  const refundOf = (id: number) => {
    const refund = store.findRefund(id);
    if (!refund) throw new ControlError(404, 'not_found', `No refund ${id}`);
    return refund;
  };
  const disputeOf = (id: number) => {
    const dispute = store.findDispute(id);
    if (!dispute) throw new ControlError(404, 'not_found', `No dispute ${id}`);
    return dispute;
  };
  const times = (n: number) => Array.from({ length: Math.max(1, n) });

  const settleOrThrow = (tx: SandboxTransaction, outcome: 'success' | 'failed', pay?: PayOptions) => {
    try {
      return payments.settle(tx, outcome, pay);
    } catch (error) {
      if (error instanceof SandboxStoreError) throw new ControlError(error.status, error.code, error.message);
      throw error;
    }
  };

  return {
    pay(reference, pay = {}) {
      if (pay.currency !== undefined) pay = { ...pay, currency: pay.currency.toUpperCase() };
      if (pay.amountMinor !== undefined && (!Number.isSafeInteger(pay.amountMinor) || pay.amountMinor <= 0)) {
        throw new ControlError(400, 'invalid_amount', 'amountMinor must be a positive integer');
      }
      return transactionJson(settleOrThrow(pendingTx(reference), 'success', pay));
    },
    decline(reference) {
      return transactionJson(settleOrThrow(pendingTx(reference), 'failed'));
    },
    async resendWebhook(reference, times = 1) {
      const tx = pendingTx(reference);
      const sends = Array.from({ length: Math.max(1, times) }, () =>
        payments.sendEvent('charge.success', chargeEventData(tx)),
      );
      await Promise.all(sends.map((s) => s.done));
      return sends.map((s) => s.delivery);
    },
    async sendWebhook(body, opts = {}) {
      const sent = webhooks.send(typeof body === 'string' ? body : JSON.stringify(body), opts);
      await sent.done;
      return sent.delivery;
    },
    failNext: (rule) => faults.failNext(rule),
    clearFaults: () => faults.clear(),
    setOutage,
    setWebhookUrl(url) {
      webhooks.url = url;
    },
    webhooks: () => webhooks.list(),
    requests: (filter) => faults.requests(filter),
    transaction(reference) {
      const tx = store.findByReference(reference);
      return tx ? transactionJson(tx) : undefined;
    },
    transactions: () => store.allTransactions().map(transactionJson),
    processRefund(id) {
      const refund = store.findRefund(id);
      if (!refund) throw new ControlError(404, 'not_found', `No refund ${id}`);
      if (refund.status !== 'processed') payments.finishRefund(refund);
      return refundJson(refund, store.findById(refund.transactionId));
    },
    failRefund(id) {
      const refund = refundOf(id);
      storeStep(() => payments.failRefund(refund));
      return refundJson(refund, store.findById(refund.transactionId));
    },
    async resendRefundWebhook(id, n = 1) {
      const refund = refundOf(id);
      const sends = times(n).map(() => payments.refundEvent(refund));
      await Promise.all(sends.map((sent) => sent.done));
      return sends.map((sent) => sent.delivery);
    },
    openDispute(reference, options = {}) {
      const tx = pendingTx(reference);
      const dispute = storeStep(() =>
        payments.openDispute(tx, { amount: options.amountMinor, category: options.category }),
      );
      return disputeJson(dispute, tx);
    },
    async remindDispute(id) {
      const sent = payments.disputeEvent('remind', disputeOf(id));
      await sent.done;
      return sent.delivery;
    },
    resolveDispute(id, resolution, options = {}) {
      const dispute = disputeOf(id);
      storeStep(() => payments.resolveDispute(dispute, resolution, options.refundAmountMinor));
      return disputeJson(dispute, store.findById(dispute.transactionId));
    },
    async resendDisputeWebhook(id, n = 1) {
      const dispute = disputeOf(id);
      const event = dispute.status === 'resolved' ? 'resolve' : 'create';
      const sends = times(n).map(() => payments.disputeEvent(event, dispute));
      await Promise.all(sends.map((sent) => sent.done));
      return sends.map((sent) => sent.delivery);
    },
    dispute(id) {
      const dispute = store.findDispute(id);
      return dispute ? disputeJson(dispute, store.findById(dispute.transactionId)) : undefined;
    },
    settled: () => webhooks.settled(),
    reset() {
      store.reset();
      webhooks.clear();
      faults.clear();
      faults.clearRequests();
      setOutage(false);
    },
  };
}

/** The control over HTTP, under `/_control/`. */
export async function registerControlRoutes(
  app: FastifyInstance,
  control: PaystackSandboxControl,
): Promise<void> {
  await app.register(
    async (scope) => {
      scope.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
        const status = error instanceof ControlError ? error.status : (error.statusCode ?? 500);
        const code = error instanceof ControlError ? error.code : 'error';
        void reply.code(status).send({ error: { code, message: error.message } });
      });
      type RefParams = { Params: { reference: string } };
      scope.post<RefParams>('/transactions/:reference/pay', async (request) => {
        const body = asRecord(request.body);
        const amount = body.amount === undefined ? undefined : parseAmount(body.amount);
        if (amount === null)
          throw new ControlError(400, 'invalid_amount', 'amount must be a positive integer');
        return {
          transaction: control.pay(request.params.reference, {
            amountMinor: amount,
            currency: typeof body.currency === 'string' ? body.currency : undefined,
            sendWebhook: body.sendWebhook !== false,
          }),
        };
      });
      scope.post<RefParams>('/transactions/:reference/decline', async (request) => ({
        transaction: control.decline(request.params.reference),
      }));
      scope.post<RefParams>('/transactions/:reference/webhooks', async (request) => {
        const times = Number(asRecord(request.body).times ?? 1);
        return {
          deliveries: await control.resendWebhook(
            request.params.reference,
            Number.isFinite(times) ? times : 1,
          ),
        };
      });
      scope.get('/transactions', async () => ({ transactions: control.transactions() }));
      scope.post('/webhooks', async (request) => {
        const body = asRecord(request.body);
        const signature = typeof body.signature === 'string' ? body.signature : body.signed !== false;
        const payload = typeof body.body === 'string' ? body.body : JSON.stringify(body.body ?? {});
        return { delivery: await control.sendWebhook(payload, { signature }) };
      });
      scope.get('/webhooks', async () => ({ webhooks: control.webhooks() }));
      scope.post('/webhook-url', async (request) => {
        const url = asRecord(request.body).url;
        control.setWebhookUrl(typeof url === 'string' && url !== '' ? url : undefined);
        return { ok: true };
      });
      scope.post('/faults', async (request) => {
        const body = asRecord(request.body);
        if (typeof body.path !== 'string') throw new ControlError(400, 'invalid_fault', 'path is required');
        const mode = body.mode === undefined ? 'error' : body.mode;
        if (mode !== 'error' && mode !== 'hang' && mode !== 'refuse') {
          throw new ControlError(400, 'invalid_fault', 'mode must be error, hang or refuse');
        }
        control.failNext({
          path: body.path,
          method: typeof body.method === 'string' ? body.method : undefined,
          times: typeof body.times === 'number' ? body.times : undefined,
          mode,
          status: typeof body.status === 'number' ? body.status : undefined,
          hangMs: typeof body.hangMs === 'number' ? body.hangMs : undefined,
        });
        return { ok: true };
      });
      scope.delete('/faults', async () => {
        control.clearFaults();
        return { ok: true };
      });
      scope.post('/outage', async (request) => {
        control.setOutage(asRecord(request.body).enabled !== false);
        return { ok: true };
      });
      scope.get('/requests', async () => ({ requests: control.requests() }));
      scope.post<{ Params: { id: string } }>('/refunds/:id/process', async (request) => ({
        refund: control.processRefund(Number(request.params.id)),
      }));
      type IdParams = { Params: { id: string } };
      const timesOf = (body: unknown) => {
        const n = Number(asRecord(body).times ?? 1);
        return Number.isFinite(n) ? n : 1;
      };
      scope.post<IdParams>('/refunds/:id/fail', async (request) => ({
        refund: control.failRefund(Number(request.params.id)),
      }));
      scope.post<IdParams>('/refunds/:id/webhooks', async (request) => ({
        deliveries: await control.resendRefundWebhook(Number(request.params.id), timesOf(request.body)),
      }));
      scope.post<RefParams>('/transactions/:reference/disputes', async (request) => {
        const body = asRecord(request.body);
        const amount = body.amount === undefined ? undefined : parseAmount(body.amount);
        if (amount === null)
          throw new ControlError(400, 'invalid_amount', 'amount must be a positive integer');
        return {
          dispute: control.openDispute(request.params.reference, {
            amountMinor: amount,
            category: typeof body.category === 'string' ? body.category : undefined,
          }),
        };
      });
      scope.post<IdParams>('/disputes/:id/remind', async (request) => ({
        delivery: await control.remindDispute(Number(request.params.id)),
      }));
      scope.post<IdParams>('/disputes/:id/resolve', async (request) => {
        const body = asRecord(request.body);
        if (body.resolution !== 'merchant-accepted' && body.resolution !== 'declined') {
          throw new ControlError(
            400,
            'invalid_resolution',
            'resolution must be merchant-accepted or declined',
          );
        }
        const refundAmount = body.refund_amount === undefined ? undefined : parseAmount(body.refund_amount);
        if (refundAmount === null)
          throw new ControlError(400, 'invalid_amount', 'refund_amount must be a positive integer');
        return {
          dispute: control.resolveDispute(Number(request.params.id), body.resolution, {
            refundAmountMinor: refundAmount,
          }),
        };
      });
      scope.post<IdParams>('/disputes/:id/webhooks', async (request) => ({
        deliveries: await control.resendDisputeWebhook(Number(request.params.id), timesOf(request.body)),
      }));
      scope.post('/settled', async () => {
        await control.settled();
        return { ok: true };
      });
      scope.post('/reset', async () => {
        control.reset();
        return { ok: true };
      });
    },
    { prefix: '/_control' },
  );
}
