export { buildTextVerifiedSandbox, startTextVerifiedSandbox } from './server.js';
export type {
  FaultMode,
  FaultSpec,
  RequestLogEntry,
  SandboxVerificationSnapshot,
  TextVerifiedSandbox,
  TextVerifiedSandboxControl,
  TextVerifiedSandboxOptions,
} from './server.js';
export type { SandboxSms } from './state.js';
export type { WebhookAttemptLog } from './webhooks.js';
export { AREA_CODES, defaultServices } from './catalog.js';
export type { SandboxService } from './catalog.js';
