export {
  createPaystackClient,
  isFinalFailureStatus,
  isPaidStatus,
  type InitializeTransactionInput,
  type InitializedTransaction,
  type PaystackClient,
  type PaystackClientOptions,
  type PaystackCurrency,
  type PaystackRefund,
  type PaystackTransaction,
  type PaystackTransactionStatus,
  type RefundInput,
} from './client.js';
export { PaystackError, isPaystackError, type PaystackErrorKind } from './errors.js';
export { parseMinorUnits } from './amounts.js';
export { signWebhookBody, verifyWebhookSignature } from './signature.js';
export { parseWebhookEvent, type PaystackWebhookData, type PaystackWebhookEvent } from './webhook.js';
