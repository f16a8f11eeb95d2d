import { parseMinorUnits } from './amounts.js';
import { PaystackError } from './errors.js';

/** Fields we read from webhook `data`; everything is optional because events differ. */
export interface PaystackWebhookData {
  id?: unknown;
  reference?: unknown;
  status?: unknown;
  amount?: unknown;
  currency?: unknown;
  transaction_reference?: unknown;
  [field: string]: unknown;
}

export interface PaystackWebhookEvent {
  /** e.g. `charge.success`, `refund.processed`. */
  event: string;
  /** The raw `data` object, untouched. */
  data: PaystackWebhookData;
  /** `data.reference` (charges) or `data.transaction_reference` (refunds), when a string. */
  reference: string | null;
  /** `data.amount` parsed to integer subunits (it may be a number or a string), else null. */
  amountMinor: number | null;
  currency: string | null;
  status: string | null;
  /** `data.id` as a string (numeric ids are stringified), else null. */
  id: string | null;
}

/**
 * Parses a webhook body. Call only after `verifyWebhookSignature` succeeded on the same bytes.
 * Throws `PaystackError('validation')` for a body that is not `{event: string, data: object}`.
 */
export function parseWebhookEvent(rawBody: Buffer | string): PaystackWebhookEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch (error) {
    throw new PaystackError('validation', 'Webhook body is not valid JSON', { cause: error });
  }
  if (!isRecord(parsed) || typeof parsed.event !== 'string' || !isRecord(parsed.data)) {
    throw new PaystackError('validation', 'Webhook body is not a Paystack event');
  }
  const data = parsed.data as PaystackWebhookData;
  const reference =
    typeof data.reference === 'string'
      ? data.reference
      : typeof data.transaction_reference === 'string'
        ? data.transaction_reference
        : null;
  const id =
    typeof data.id === 'string'
      ? data.id
      : typeof data.id === 'number' && Number.isFinite(data.id)
        ? String(data.id)
        : null;
  return {
    event: parsed.event,
    data,
    reference,
    amountMinor: parseMinorUnits(data.amount),
    currency: typeof data.currency === 'string' ? data.currency : null,
    status: typeof data.status === 'string' ? data.status : null,
    id,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
