import formbody from '@fastify/formbody';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { checkoutPage, resultPage, unknownLinkPage, usedLinkPage } from './checkout-page.js';
import {
  PaystackSandboxStore,
  SandboxStoreError,
  chargeEventData,
  isSupportedCurrency,
  isValidReference,
  refundEventData,
  refundJson,
  transactionJson,
  type SandboxRefund,
  type SandboxTransaction,
} from './store.js';
import { WebhookDispatcher, type WebhookDelivery } from './webhooks.js';

/**
 * A local Paystack: same paths, bearer-key auth, `{status, message, data}` envelope, error
 * shapes and webhook signatures as https://api.paystack.co, plus a no-JavaScript checkout page
 * and a control API (`/_control/…`, or the in-process `control` object) for tests.
 */

export interface PaystackSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  secretKey: string;
  /** Where `charge.success` / `refund.*` events are POSTed; none = events are recorded as skipped. */
  webhookUrl?: string;
  /** Base of `authorization_url` when the browser reaches the sandbox at another address. */
  publicUrl?: string;
  /** Delays before webhook retries; attempts = length + 1. Default [200, 1000, 5000]. */
  webhookRetryDelaysMs?: number[];
  /** Per-attempt webhook timeout. Default 5000 ms. */
  webhookTimeoutMs?: number;
  /** Refunds move pending → processed after this delay; null = only via control. Default 100 ms. */
  refundProcessDelayMs?: number | null;
}

export type FaultMode = 'error' | 'hang' | 'refuse';

export interface FaultRule {
  /** Path prefix, e.g. `/transaction/verify` or `/transaction/initialize`. */
  path: string;
  method?: string;
  /** How many matching requests to affect. Default 1. */
  times?: number;
  /**
   * `error`: answer `status` (default 500) without processing; `hang`: process, then hold the answer
   * back `hangMs` (default 30 s) — the effect happens but the client times out; `refuse`: destroy the
   * socket without processing.
   */
  mode?: FaultMode;
  status?: number;
  hangMs?: number;
}

export interface SandboxRequestRecord {
  method: string;
  path: string;
  at: string;
  fault: FaultMode | null;
}

export interface PayOptions {
  /** Charge this amount instead of the initialized one (mismatch tests). */
  amountMinor?: number;
  /** Charge in this currency instead of the initialized one (mismatch tests). */
  currency?: string;
  /** Send `charge.success` (default true). */
  sendWebhook?: boolean;
}

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

export interface PaystackSandbox {
  url: string;
  control: PaystackSandboxControl;
  close(): Promise<void>;
}

interface ActiveFault {
  path: string;
  method: string | undefined;
  remaining: number;
  mode: FaultMode;
  status: number;
  hangMs: number;
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

const API_EXEMPT = /^\/(checkout|_control)(\/|$)/;

function validationError(reply: FastifyReply, message: string, code = 'invalid_params', nextStep?: string) {
  return reply.code(400).send({
    status: false,
    message,
    meta: { nextStep: nextStep ?? 'Ensure that you provide the correct value for the fields' },
    type: 'validation_error',
    code,
  });
}

function parseAmount(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) {
    const amount = Number(value.trim());
    return amount > 0 ? amount : null;
  }
  return null;
}

function parseMetadata(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? parsed : value;
  } catch {
    return value;
  }
}

function parseChannels(value: unknown): string[] | null {
  if (Array.isArray(value)) return value.filter((c): c is string => typeof c === 'string');
  if (typeof value === 'string' && value !== '') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed.filter((c): c is string => typeof c === 'string');
    } catch {
      return value.split(',').map((c) => c.trim());
    }
  }
  return null;
}

function callbackRedirect(callbackUrl: string, reference: string): string {
  const url = new URL(callbackUrl);
  url.searchParams.set('trxref', reference);
  url.searchParams.set('reference', reference);
  return url.toString();
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

export async function startPaystackSandbox(options: PaystackSandboxOptions): Promise<PaystackSandbox> {
  const secretKey = options.secretKey;
  const store = new PaystackSandboxStore();
  const webhooks = new WebhookDispatcher(
    {
      secretKey,
      retryDelaysMs: options.webhookRetryDelaysMs ?? [200, 1000, 5000],
      timeoutMs: options.webhookTimeoutMs ?? 5000,
    },
    options.webhookUrl,
  );
  const refundDelay = options.refundProcessDelayMs === undefined ? 100 : options.refundProcessDelayMs;
  const faults: ActiveFault[] = [];
  const requestLog: SandboxRequestRecord[] = [];
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const hangs = new WeakMap<FastifyRequest, number>();
  let outage = false;
  let closed = false;
  let baseUrl = '';

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          timers.delete(entry);
          resolve();
        }, ms).unref(),
        resolve,
      };
      timers.add(entry);
    });

  const sendEvent = (event: string, data: Record<string, unknown>, signature: boolean | string = true) =>
    webhooks.send(JSON.stringify({ event, data }), { signature });

  const scheduleRefundProcessing = (refund: SandboxRefund) => {
    if (refundDelay === null) return;
    void wait(refundDelay).then(() => {
      if (!closed && refund.status === 'pending') finishRefund(refund);
    });
  };

  const finishRefund = (refund: SandboxRefund) => {
    store.processRefund(refund);
    sendEvent('refund.processed', refundEventData(refund, store.findById(refund.transactionId)));
  };

  const settle = (tx: SandboxTransaction, outcome: 'success' | 'failed', pay: PayOptions = {}) => {
    store.settle(tx, outcome, { amount: pay.amountMinor, currency: pay.currency });
    if (outcome === 'success' && pay.sendWebhook !== false) sendEvent('charge.success', chargeEventData(tx));
    return tx;
  };

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 1_048_576 });
  await app.register(formbody);
  // Paystack's own Node SDK sends JSON without a Content-Type and the real API takes it; any other
  // media type stays refused.
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (request.headers['content-type'] !== undefined) {
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }));
      return;
    }
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('Invalid JSON body'), { statusCode: 400 }));
    }
  });

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    void reply
      .code(status)
      .send({ status: false, message: status >= 500 ? 'Internal Server Error' : error.message });
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ status: false, message: 'Resource not found' });
  });

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (path.startsWith('/_control/') || path === '/_control') return;
    const index = faults.findIndex(
      (f) =>
        f.remaining > 0 && path.startsWith(f.path) && (f.method === undefined || f.method === request.method),
    );
    const fault = index >= 0 ? faults[index] : undefined;
    if (fault) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) faults.splice(index, 1);
    }
    requestLog.push({
      method: request.method,
      path,
      at: new Date().toISOString(),
      fault: fault?.mode ?? null,
    });

    if (fault?.mode === 'refuse') {
      reply.hijack();
      request.raw.socket.destroy();
      return;
    }
    if (fault?.mode === 'error') {
      return reply
        .code(fault.status)
        .send({ status: false, message: 'An error occurred while processing this request' });
    }
    // A hang processes the request and holds the answer back: the effect happens, the client times out.
    if (fault?.mode === 'hang') hangs.set(request, fault.hangMs);
    if (API_EXEMPT.test(path)) return;
    if (outage) return reply.code(503).send({ status: false, message: 'Service Unavailable' });
    if (request.headers.authorization !== `Bearer ${secretKey}`) {
      return reply.code(401).send({ status: false, message: 'Invalid key' });
    }
  });

  app.addHook('onSend', async (request) => {
    const hangMs = hangs.get(request);
    if (hangMs !== undefined) await wait(hangMs);
  });

  // ---- API ---------------------------------------------------------------------------------

  app.post('/transaction/initialize', async (request, reply) => {
    const body = asRecord(request.body);
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      return validationError(reply, 'Invalid Email Address Passed');
    const amount = parseAmount(body.amount);
    if (amount === null) return validationError(reply, 'Invalid Amount Sent');
    const currency =
      body.currency === undefined || body.currency === '' ? 'NGN' : String(body.currency).toUpperCase();
    if (!isSupportedCurrency(currency)) {
      return validationError(reply, 'Currency not supported by merchant', 'unsupported_currency');
    }
    let reference: string | undefined;
    if (body.reference !== undefined && body.reference !== '') {
      reference = String(body.reference);
      if (!isValidReference(reference)) {
        return validationError(
          reply,
          'Invalid reference. Only -, ., = and alphanumeric characters are allowed',
        );
      }
    }
    let callbackUrl: string | null = null;
    if (typeof body.callback_url === 'string' && body.callback_url !== '') {
      try {
        const parsed = new URL(body.callback_url);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
        callbackUrl = parsed.toString();
      } catch {
        return validationError(reply, 'Invalid callback_url');
      }
    }
    let tx: SandboxTransaction;
    try {
      tx = store.createTransaction({
        email,
        amount,
        currency,
        reference,
        callbackUrl,
        metadata: parseMetadata(body.metadata),
        channels: parseChannels(body.channels),
      });
    } catch (error) {
      if (error instanceof SandboxStoreError && error.code === 'duplicate_reference') {
        return validationError(
          reply,
          error.message,
          'duplicate_reference',
          "Ensure you're passing a unique reference",
        );
      }
      throw error;
    }
    return {
      status: true,
      message: 'Authorization URL created',
      data: {
        authorization_url: `${options.publicUrl?.replace(/\/+$/, '') ?? baseUrl}/checkout/${tx.accessCode}`,
        access_code: tx.accessCode,
        reference: tx.reference,
      },
    };
  });

  app.get<{ Params: { reference: string } }>('/transaction/verify/:reference', async (request, reply) => {
    const tx = store.findByReference(request.params.reference);
    if (!tx) {
      return reply.code(404).send({
        status: false,
        message: 'Transaction reference not found',
        meta: { nextStep: 'Ensure that you are passing the reference of a transaction on this integration' },
        type: 'validation_error',
        code: 'transaction_not_found',
      });
    }
    return { status: true, message: 'Verification successful', data: transactionJson(tx) };
  });

  app.get('/transaction', async (request) => {
    const query = asRecord(request.query);
    const all = store
      .allTransactions()
      .filter((tx) => query.status === undefined || tx.status === query.status);
    return paginate(all.reverse().map(transactionJson), query, 'Transactions retrieved');
  });

  app.get<{ Params: { id: string } }>('/transaction/:id', async (request, reply) => {
    const tx = /^\d+$/.test(request.params.id) ? store.findById(Number(request.params.id)) : undefined;
    if (!tx) return reply.code(404).send({ status: false, message: 'Transaction not found' });
    return { status: true, message: 'Transaction retrieved', data: transactionJson(tx) };
  });

  app.post('/refund', async (request, reply) => {
    const body = asRecord(request.body);
    const ref = body.transaction;
    if (ref === undefined || ref === null || ref === '') {
      return validationError(reply, 'Transaction reference or id is required');
    }
    const key = String(ref);
    const tx = store.findByReference(key) ?? (/^\d+$/.test(key) ? store.findById(Number(key)) : undefined);
    if (!tx) return reply.code(404).send({ status: false, message: 'Transaction not found' });
    let amount: number | undefined;
    if (body.amount !== undefined && body.amount !== '') {
      const parsed = parseAmount(body.amount);
      if (parsed === null) return validationError(reply, 'Invalid Amount Sent');
      amount = parsed;
    }
    try {
      const refund = store.createRefund(tx, {
        amount,
        currency: typeof body.currency === 'string' ? body.currency.toUpperCase() : undefined,
        customerNote: typeof body.customer_note === 'string' ? body.customer_note : undefined,
        merchantNote: typeof body.merchant_note === 'string' ? body.merchant_note : undefined,
      });
      sendEvent('refund.pending', refundEventData(refund, tx));
      scheduleRefundProcessing(refund);
      return { status: true, message: 'Refund has been queued for processing', data: refundJson(refund, tx) };
    } catch (error) {
      if (error instanceof SandboxStoreError) return validationError(reply, error.message, error.code);
      throw error;
    }
  });

  app.get('/refund', async (request) => {
    const query = asRecord(request.query);
    const all = store
      .allRefunds()
      .reverse()
      .map((r) => refundJson(r, store.findById(r.transactionId)));
    return paginate(all, query, 'Refunds retrieved');
  });

  app.get<{ Params: { id: string } }>('/refund/:id', async (request, reply) => {
    const refund = /^\d+$/.test(request.params.id) ? store.findRefund(Number(request.params.id)) : undefined;
    if (!refund) return reply.code(404).send({ status: false, message: 'Refund not found' });
    return {
      status: true,
      message: 'Refund retrieved',
      data: refundJson(refund, store.findById(refund.transactionId)),
    };
  });

  // ---- Hosted checkout -----------------------------------------------------------------------

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(body);

  app.get<{ Params: { accessCode: string } }>('/checkout/:accessCode', async (request, reply) => {
    const tx = store.findByAccessCode(request.params.accessCode);
    if (!tx) return html(reply, 404, unknownLinkPage());
    if (tx.authorizationUsed) return html(reply, 410, usedLinkPage(tx));
    return html(reply, 200, checkoutPage(tx));
  });

  const checkoutAction =
    (outcome: 'success' | 'failed') =>
    async (request: FastifyRequest<{ Params: { accessCode: string } }>, reply: FastifyReply) => {
      const tx = store.findByAccessCode(request.params.accessCode);
      if (!tx) return html(reply, 404, unknownLinkPage());
      if (tx.authorizationUsed || tx.status !== 'abandoned') return html(reply, 410, usedLinkPage(tx));
      settle(tx, outcome);
      if (tx.callbackUrl) return reply.redirect(callbackRedirect(tx.callbackUrl, tx.reference), 302);
      return html(reply, 200, resultPage(tx));
    };
  app.post('/checkout/:accessCode/pay', checkoutAction('success'));
  app.post('/checkout/:accessCode/decline', checkoutAction('failed'));

  // ---- Control (tests) -----------------------------------------------------------------------

  const pendingTx = (reference: string) => {
    const tx = store.findByReference(reference);
    if (!tx) throw new ControlError(404, 'not_found', `No transaction with reference ${reference}`);
    return tx;
  };

  const control: PaystackSandboxControl = {
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
        sendEvent('charge.success', chargeEventData(tx)),
      );
      await Promise.all(sends.map((s) => s.done));
      return sends.map((s) => s.delivery);
    },
    async sendWebhook(body, opts = {}) {
      const sent = webhooks.send(typeof body === 'string' ? body : JSON.stringify(body), opts);
      await sent.done;
      return sent.delivery;
    },
    failNext(rule) {
      faults.push({
        path: rule.path,
        method: rule.method?.toUpperCase(),
        remaining: rule.times ?? 1,
        mode: rule.mode ?? 'error',
        status: rule.status ?? 500,
        hangMs: rule.hangMs ?? 30_000,
      });
    },
    clearFaults() {
      faults.length = 0;
    },
    setOutage(enabled) {
      outage = enabled;
    },
    setWebhookUrl(url) {
      webhooks.url = url;
    },
    webhooks: () => webhooks.list(),
    requests(filter = {}) {
      return requestLog.filter(
        (r) =>
          (filter.path === undefined || r.path.startsWith(filter.path)) &&
          (filter.method === undefined || r.method === filter.method.toUpperCase()),
      );
    },
    transaction(reference) {
      const tx = store.findByReference(reference);
      return tx ? transactionJson(tx) : undefined;
    },
    transactions: () => store.allTransactions().map(transactionJson),
    processRefund(id) {
      const refund = store.findRefund(id);
      if (!refund) throw new ControlError(404, 'not_found', `No refund ${id}`);
      if (refund.status !== 'processed') finishRefund(refund);
      return refundJson(refund, store.findById(refund.transactionId));
    },
    settled: () => webhooks.settled(),
    reset() {
      store.reset();
      webhooks.clear();
      faults.length = 0;
      requestLog.length = 0;
      outage = false;
    },
  };

  function settleOrThrow(tx: SandboxTransaction, outcome: 'success' | 'failed', pay?: PayOptions) {
    try {
      return settle(tx, outcome, pay);
    } catch (error) {
      if (error instanceof SandboxStoreError) throw new ControlError(error.status, error.code, error.message);
      throw error;
    }
  }

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

  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${urlHost}:${port}`;

  return {
    url: baseUrl,
    control,
    async close() {
      if (closed) return;
      closed = true;
      webhooks.close();
      for (const entry of timers) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      timers.clear();
      await app.close();
    },
  };
}

function paginate(items: Record<string, unknown>[], query: Record<string, unknown>, message: string) {
  const perPage = Math.min(Math.max(Number(query.perPage ?? 50) || 50, 1), 100);
  const page = Math.max(Number(query.page ?? 1) || 1, 1);
  const start = (page - 1) * perPage;
  return {
    status: true,
    message,
    data: items.slice(start, start + perPage),
    meta: {
      total: items.length,
      skipped: start,
      perPage,
      page,
      pageCount: Math.ceil(items.length / perPage),
    },
  };
}
