export {
  createPaystackClient,
  type InitializeTransactionInput,
  type InitializedTransaction,
  type PaystackClient,
  type PaystackClientOptions,
  type PaystackCurrency,
  type PaystackDispute,
  type PaystackRefund,
  type PaystackTransaction,
  type PaystackTransactionStatus,
  type RefundInput,
} from './client.js';
export { isPaystackError, type PaystackErrorKind } from './errors.js';
export { signWebhookBody, verifyWebhookSignature } from './signature.js';
export { parseWebhookEvent, type PaystackWebhookData, type PaystackWebhookEvent } from './webhook.js';
