/** Plans: the tiers on offer, the caller's subscription, its renewal and included usage. */
export { GRACE_DAYS } from './domain.js';
export type { SubscriptionEvent } from './events.js';
export { RENEW_SUBSCRIPTIONS, type SubscriptionsJobsDeps, defineSubscriptionsJobs } from './jobs.js';
export { SEND_SUBSCRIPTION_MAIL } from './mail.js';
export { type SubscriptionsRoutesDeps, registerSubscriptionsRoutes } from './routes.js';
export { type SubscriptionsDeps, type SubscriptionsService, createSubscriptionsService } from './service.js';
