export { startTextVerifiedSandbox } from './server.js';
export type { TextVerifiedSandbox, TextVerifiedSandboxOptions } from './server.js';
export type { SandboxVerificationSnapshot, TextVerifiedSandboxControl } from './control.js';
export type { FaultMode, FaultSpec, RequestLogEntry } from './faults.js';
export type { SandboxSms } from './verification.js';
export type { WebhookAttemptLog } from './webhooks.js';
export { defaultServices } from './catalog.js';
export type { SandboxService } from './catalog.js';
