/**
 * What the sandbox answers, in Paystack's shapes (contract §D): the transaction and refund
 * objects, webhook `data`, the `{status, message, data, meta}` list envelope and the
 * `validation_error` body.
 */
import type { FastifyReply } from 'fastify';
import type { SandboxDispute, SandboxRefund, SandboxTransaction } from './store.js';

const INTEGRATION_ID = 100032;

export function validationError(
  reply: FastifyReply,
  message: string,
  code = 'invalid_params',
  nextStep?: string,
) {
  return reply.code(400).send({
    status: false,
    message,
    meta: { nextStep: nextStep ?? 'Ensure that you provide the correct value for the fields' },
    type: 'validation_error',
    code,
  });
}

export function paginate(items: Record<string, unknown>[], query: Record<string, unknown>, message: string) {
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

/** The transaction object as `GET /transaction/verify/:reference` returns it. */
export function transactionJson(tx: SandboxTransaction): Record<string, unknown> {
  const paid = tx.status === 'success' || tx.status === 'reversed';
  return {
    id: tx.id,
    domain: 'test',
    status: tx.status,
    reference: tx.reference,
    receipt_number: null,
    amount: tx.amount,
    message: null,
    gateway_response: tx.gatewayResponse,
    paid_at: tx.paidAt,
    created_at: tx.createdAt,
    channel: 'card',
    currency: tx.currency,
    ip_address: '127.0.0.1',
    metadata: tx.metadata ?? '',
    log: paid
      ? {
          start_time: Math.floor(Date.parse(tx.createdAt) / 1000),
          time_spent: Math.max(
            1,
            Math.round((Date.parse(tx.paidAt ?? tx.createdAt) - Date.parse(tx.createdAt)) / 1000),
          ),
          attempts: 1,
          errors: 0,
          success: true,
          mobile: false,
          input: [],
          history: [
            { type: 'action', message: 'Attempted to pay with card', time: 1 },
            { type: 'success', message: 'Successfully paid with card', time: 2 },
          ],
        }
      : null,
    fees: tx.fees,
    fees_split: null,
    authorization: tx.authorization,
    customer: {
      id: tx.customer.id,
      first_name: null,
      last_name: null,
      email: tx.customer.email,
      customer_code: tx.customer.customerCode,
      phone: null,
      metadata: null,
      risk_action: 'default',
      international_format_phone: null,
    },
    plan: null,
    split: {},
    order_id: null,
    paidAt: tx.paidAt,
    createdAt: tx.createdAt,
    requested_amount: tx.requestedAmount,
    pos_transaction_data: null,
    source: null,
    fees_breakdown: null,
    connect: null,
    transaction_date: tx.createdAt,
    plan_object: {},
    subaccount: {},
  };
}

/** `data` of a `charge.success` webhook (the docs' example carries a subset of the verify object). */
export function chargeEventData(tx: SandboxTransaction): Record<string, unknown> {
  const full = transactionJson(tx);
  const keys = [
    'id',
    'domain',
    'status',
    'reference',
    'amount',
    'message',
    'gateway_response',
    'paid_at',
    'created_at',
    'channel',
    'currency',
    'ip_address',
    'metadata',
    'log',
    'fees',
    'customer',
    'authorization',
    'plan',
    'requested_amount',
  ];
  return Object.fromEntries(keys.map((key) => [key, full[key]]));
}

export function refundJson(
  refund: SandboxRefund,
  tx: SandboxTransaction | undefined,
): Record<string, unknown> {
  return {
    id: refund.id,
    integration: INTEGRATION_ID,
    domain: 'test',
    transaction: tx
      ? {
          id: tx.id,
          domain: 'test',
          reference: tx.reference,
          amount: tx.amount,
          paid_at: tx.paidAt,
          channel: 'card',
          currency: tx.currency,
          authorization: { exp_month: null, exp_year: null, account_name: null },
          customer: { international_format_phone: null },
          plan: {},
          subaccount: { currency: null },
          split: {},
          order_id: null,
          paidAt: tx.paidAt,
          pos_transaction_data: null,
          source: null,
          fees_breakdown: null,
        }
      : refund.transactionId,
    dispute: null,
    amount: refund.amount,
    deducted_amount: refund.amount,
    currency: refund.currency,
    channel: 'card',
    fully_deducted: true,
    refunded_by: 'sandbox@namaskah.test',
    refunded_at: refund.refundedAt,
    expected_at: refund.expectedAt,
    settlement: null,
    customer_note: refund.customerNote,
    merchant_note: refund.merchantNote,
    status: refund.status,
    createdAt: refund.createdAt,
    updatedAt: refund.updatedAt,
  };
}

/** `data` of `refund.*` webhooks (amount as a string, as in Paystack's own example). */
export function refundEventData(
  refund: SandboxRefund,
  tx: SandboxTransaction | undefined,
): Record<string, unknown> {
  return {
    status: refund.status,
    transaction_reference: tx?.reference ?? null,
    refund_reference: refund.status === 'processed' ? `RFN_${refund.id}` : null,
    amount: String(refund.amount),
    currency: refund.currency,
    processor: 'sandbox',
    customer: { first_name: null, last_name: null, email: tx?.email ?? null },
    integration: INTEGRATION_ID,
    domain: 'test',
    id: refund.id,
  };
}

/**
 * The dispute object (`GET /dispute/:id`), also the `data` of `charge.dispute.*` webhooks: the
 * disputed transaction embedded, `refund_amount` in subunits, `status` and `resolution`.
 */
export function disputeJson(
  dispute: SandboxDispute,
  tx: SandboxTransaction | undefined,
): Record<string, unknown> {
  return {
    id: dispute.id,
    integration: INTEGRATION_ID,
    domain: 'test',
    refund_amount: dispute.refundAmount,
    currency: dispute.currency,
    status: dispute.status,
    resolution: dispute.resolution,
    category: dispute.category,
    source: 'bank',
    note: null,
    attachments: null,
    bin: tx ? String(tx.authorization.bin ?? '') || null : null,
    last4: tx ? String(tx.authorization.last4 ?? '') || null : null,
    transaction_reference: tx?.reference ?? null,
    transaction: tx
      ? {
          id: tx.id,
          domain: 'test',
          status: tx.status,
          reference: tx.reference,
          amount: tx.amount,
          paid_at: tx.paidAt,
          created_at: tx.createdAt,
          channel: 'card',
          currency: tx.currency,
          metadata: tx.metadata ?? '',
          customer: { id: tx.customer.id, email: tx.customer.email, customer_code: tx.customer.customerCode },
        }
      : dispute.transactionId,
    customer: tx ? { id: tx.customer.id, email: tx.customer.email } : null,
    dueAt: dispute.dueAt,
    resolvedAt: dispute.resolvedAt,
    createdAt: dispute.createdAt,
    updatedAt: dispute.updatedAt,
  };
}
