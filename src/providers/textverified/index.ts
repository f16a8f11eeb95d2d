export { createTextVerifiedClient } from './client.js';
export type { TextVerifiedClient, TextVerifiedClientOptions } from './client.js';
export { TextVerifiedError, isTextVerifiedError } from './errors.js';
export { toE164 } from './mapping.js';
export type { TextVerifiedErrorKind } from './errors.js';
export {
  WEBHOOK_SIGNATURE_HEADER,
  parseWebhookEvent,
  signWebhookBody,
  verifyWebhookSignature,
} from './webhook.js';
export type * from './types.js';
