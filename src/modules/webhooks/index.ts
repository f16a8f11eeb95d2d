/** Developer webhooks' public surface: endpoints, the outbox (`emitEvent`) and delivery. */
export {
  type EmittedEvent,
  type EndpointDisabledMail,
  SEND_WEBHOOK_DISABLED_MAIL,
  emitEvent,
} from './delivery.js';
export { EVENT_TYPES, type EventType, SIGNATURE_HEADER, TEST_EVENT_TYPE, signatureHeader } from './domain.js';
export { registerWebhooksMetrics } from './metrics.js';
export { DELIVER_WEBHOOKS, type WebhooksJobsDeps, defineWebhooksJobs } from './jobs.js';
export { type WebhooksRoutesDeps, registerWebhooksRoutes } from './routes.js';
export { type WebhooksDeps, type WebhooksService, createWebhooksService } from './service.js';
export { SEALED_WEBHOOK_SECRETS } from './schema.js';
