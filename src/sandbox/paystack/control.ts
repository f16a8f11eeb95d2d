/**
 * The test-only control of the Paystack sandbox: the in-process `control` object and the same
 * operations over HTTP under `/_control/` (answers `{error:{code,message}}` on failure).
 */
import type { FastifyInstance } from 'fastify';
import type { FaultRule, SandboxFaults, SandboxRequestRecord } from './faults.js';
import { asRecord, parseAmount } from './parse.js';
import type { PayOptions, Payments } from './payments.js';
import { SandboxStoreError, type PaystackSandboxStore, type SandboxTransaction } from './store.js';
import type { WebhookDelivery, WebhookDispatcher } from './webhooks.js';
import { chargeEventData, refundJson, transactionJson } from './wire.js';

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
