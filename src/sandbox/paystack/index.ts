export {
  startPaystackSandbox,
  type FaultMode,
  type FaultRule,
  type PayOptions,
  type PaystackSandbox,
  type PaystackSandboxControl,
  type PaystackSandboxOptions,
  type SandboxRequestRecord,
} from './server.js';
export type { WebhookAttempt, WebhookDelivery } from './webhooks.js';
