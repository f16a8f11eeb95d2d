export { startPaystackSandbox, type PaystackSandbox, type PaystackSandboxOptions } from './server.js';
export type { PaystackSandboxControl } from './control.js';
export type { FaultMode, FaultRule, SandboxRequestRecord } from './faults.js';
export type { PayOptions } from './payments.js';
export type { WebhookAttempt, WebhookDelivery } from './webhooks.js';
