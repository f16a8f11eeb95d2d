/** Provider routing's public surface: the upstreams, their order for a purchase, admins' rules. */
export {
  PROVIDERS,
  type ProviderName,
  type RoutingRule,
  SMS_POLL_CADENCE,
  type SmsPollCadence,
  allowedProviders,
  isProviderName,
  rankProviders,
} from './domain.js';
export { type Candidate, type RoutingDeps, type RoutingService, createRoutingService } from './service.js';
export {
  type BoughtNumber,
  type BuyRequest,
  type OfferRequest,
  type Upstream,
  type UpstreamFailure,
  type UpstreamSms,
  fiveSimUpstream,
  textVerifiedUpstream,
} from './upstreams.js';
