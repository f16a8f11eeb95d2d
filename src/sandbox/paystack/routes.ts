/**
 * The Paystack API routes (contract §D.1: initialize, verify, fetch, list, refund, dispute) and the hosted
 * checkout page the `authorization_url` points at (no JavaScript; Pay and Decline are forms).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkoutPage, resultPage, unknownLinkPage, usedLinkPage } from './checkout-page.js';
import { asRecord, parseAmount, parseChannels, parseMetadata } from './parse.js';
import type { Payments } from './payments.js';
import {
  SandboxStoreError,
  isSupportedCurrency,
  isValidReference,
  type PaystackSandboxStore,
  type SandboxTransaction,
} from './store.js';
import { disputeJson, paginate, refundJson, transactionJson, validationError } from './wire.js';

export interface RoutesDeps {
  store: PaystackSandboxStore;
  payments: Payments;
  /** Base of `authorization_url` (the browser's view of the sandbox). */
  checkoutBase: () => string;
}

export function registerApiRoutes(app: FastifyInstance, { store, payments, checkoutBase }: RoutesDeps): void {
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
        authorization_url: `${checkoutBase()}/checkout/${tx.accessCode}`,
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
      payments.refundQueued(refund, tx);
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
}

export function registerDisputeRoutes(app: FastifyInstance, { store }: Pick<RoutesDeps, 'store'>): void {
  // Paystack's "fetch dispute" and "list disputes" (`transaction` filters by transaction id).
  app.get('/dispute', async (request) => {
    const query = asRecord(request.query);
    const all = store
      .allDisputes()
      .filter((d) => query.transaction === undefined || String(d.transactionId) === String(query.transaction))
      .reverse()
      .map((d) => disputeJson(d, store.findById(d.transactionId)));
    return paginate(all, query, 'Disputes retrieved');
  });

  app.get<{ Params: { id: string } }>('/dispute/:id', async (request, reply) => {
    const dispute = /^\d+$/.test(request.params.id)
      ? store.findDispute(Number(request.params.id))
      : undefined;
    if (!dispute) return reply.code(404).send({ status: false, message: 'Dispute not found' });
    return {
      status: true,
      message: 'Dispute retrieved',
      data: disputeJson(dispute, store.findById(dispute.transactionId)),
    };
  });
}

function callbackRedirect(callbackUrl: string, reference: string): string {
  const url = new URL(callbackUrl);
  url.searchParams.set('trxref', reference);
  url.searchParams.set('reference', reference);
  return url.toString();
}

const html = (reply: FastifyReply, status: number, body: string) =>
  reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body);

export function registerCheckoutRoutes(
  app: FastifyInstance,
  { store, payments }: Pick<RoutesDeps, 'store' | 'payments'>,
): void {
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
      payments.settle(tx, outcome);
      if (tx.callbackUrl) return reply.redirect(callbackRedirect(tx.callbackUrl, tx.reference), 302);
      return html(reply, 200, resultPage(tx));
    };
  app.post('/checkout/:accessCode/pay', checkoutAction('success'));
  app.post('/checkout/:accessCode/decline', checkoutAction('failed'));
}
