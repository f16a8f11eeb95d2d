/** The verifications' public surface: buying numbers, receiving their SMS, and the event stream. */
export {
  type VerificationEventBus,
  type VerificationEventBusDeps,
  createVerificationEventBus,
} from './events.js';
export { VERIFICATION_JOBS, type VerificationJobsDeps, defineVerificationJobs } from './jobs.js';
export { type VerificationRoutesDeps, registerVerificationRoutes } from './routes.js';
export { type VerificationDeps } from './deps.js';
export { registerVerificationMetrics } from './metrics.js';
export { type VerificationsService, createVerificationsService } from './service.js';
export { type VerificationView } from './views.js';
export type { MessageRow as VerificationMessage, VerificationRow as VerificationOrder } from './store.js';
export {
  type DeliveryFigure,
  type DeliverySnapshot,
  type DeliveryStats,
  type DeliveryStatsSettings,
  type DeliveryWindows,
  type ProviderDeliveryStats,
  createDeliveryStats,
} from './delivery-stats.js';
