/** Paystack's response `data` read into our types; anything unexpected is a `server_error`. */
import { parseMinorUnits } from './amounts.js';
import type { PaystackDispute, PaystackRefund, PaystackTransaction } from './client.js';
import { PaystackError } from './errors.js';

function malformed(what: string): PaystackError {
  return new PaystackError('server_error', `Paystack returned a malformed ${what}`, { status: 200 });
}

function toId(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return null;
}

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export function toTransaction(data: unknown): PaystackTransaction {
  if (!isRecord(data)) throw malformed('transaction');
  const id = toId(data.id);
  const amountMinor = parseMinorUnits(data.amount);
  const reference = str(data.reference);
  const status = str(data.status);
  const currency = str(data.currency);
  if (id === null || amountMinor === null || reference === null || status === null || currency === null) {
    throw malformed('transaction');
  }
  const customer = isRecord(data.customer) ? data.customer : {};
  return {
    id,
    status,
    reference,
    amountMinor,
    requestedAmountMinor: parseMinorUnits(data.requested_amount),
    currency: currency.toUpperCase(),
    paidAt: str(data.paid_at) ?? str(data.paidAt),
    createdAt: str(data.created_at) ?? str(data.createdAt),
    gatewayResponse: str(data.gateway_response),
    channel: str(data.channel),
    customerEmail: str(customer.email),
    metadata: data.metadata,
    raw: data,
  };
}

export function toRefund(data: unknown, justCreated: boolean): PaystackRefund {
  if (!isRecord(data)) {
    throw justCreated
      ? new PaystackError('server_error', 'Paystack refund: malformed response data', {
          status: 200,
          ambiguous: true,
        })
      : malformed('refund');
  }
  const id = toId(data.id);
  const amountMinor = parseMinorUnits(data.amount);
  const status = str(data.status);
  if (id === null || amountMinor === null || status === null) {
    throw justCreated
      ? new PaystackError('server_error', 'Paystack refund: malformed response data', {
          status: 200,
          ambiguous: true,
        })
      : malformed('refund');
  }
  const transaction = data.transaction;
  return {
    id,
    status,
    amountMinor,
    currency: (
      str(data.currency) ??
      (isRecord(transaction) ? str(transaction.currency) : null) ??
      ''
    ).toUpperCase(),
    transactionId: isRecord(transaction) ? toId(transaction.id) : toId(transaction),
    transactionReference: isRecord(transaction)
      ? str(transaction.reference)
      : (str(data.transaction_reference) ?? null),
    raw: data,
  };
}

/** A dispute object; `refund_amount` and the transaction's fields may be missing or null. */
export function toDispute(data: unknown): PaystackDispute {
  if (!isRecord(data)) throw malformed('dispute');
  const id = toId(data.id);
  const status = str(data.status);
  if (id === null || status === null) throw malformed('dispute');
  const transaction = isRecord(data.transaction) ? data.transaction : null;
  return {
    id,
    status,
    resolution: str(data.resolution),
    refundAmountMinor: parseMinorUnits(data.refund_amount),
    currency: (str(data.currency) ?? (transaction ? str(transaction.currency) : null) ?? '').toUpperCase(),
    transactionId: transaction ? toId(transaction.id) : toId(data.transaction),
    transactionReference:
      (transaction ? str(transaction.reference) : null) ?? str(data.transaction_reference) ?? null,
    transactionAmountMinor: transaction ? parseMinorUnits(transaction.amount) : null,
    raw: data,
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
