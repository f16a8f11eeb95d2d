/** The payments' public surface: wallet reads, top-ups and the Paystack webhook. */
export { type PaymentsJobsDeps, RECONCILE_TOPUPS, definePaymentsJobs } from './jobs.js';
export { type PaymentsRoutesDeps, registerPaymentsRoutes } from './routes.js';
export { type PaymentsDeps, type PaymentsService, createPaymentsService } from './service.js';
export { TOPUP_REFERENCE_PATTERN } from './domain.js';
