/**
 * The composition root: the platform a process runs on, and every module's service built once, in
 * dependency order, from it. Routes and jobs receive these services as plain arguments
 * (`registerXRoutes(app, deps)`, `defineXJobs(jobs, deps)`); no module keeps a service of its own.
 */
import type { Redis } from 'ioredis';
import { type AccountsService, createAccountsService } from './modules/accounts/index.js';
import { type AdminService, createAdminService } from './modules/admin/index.js';
import { type ApiKeysService, createApiKeysService } from './modules/api-keys/index.js';
import { type AuditService, createAuditService } from './modules/audit/index.js';
import { type CatalogService, createCatalogService } from './modules/catalog/index.js';
import { type LedgerService, createLedgerService } from './modules/ledger/index.js';
import { type PaymentsService, createPaymentsService } from './modules/payments/index.js';
import {
  type RoutingService,
  type Upstream,
  createRoutingService,
  fiveSimUpstream,
  textVerifiedUpstream,
} from './modules/routing/index.js';
import { type SmsActivateService, createSmsActivateService } from './modules/sms-activate/index.js';
import { type SubscriptionsService, createSubscriptionsService } from './modules/subscriptions/index.js';
import { type TiersService, createTiersService } from './modules/tiers/index.js';
import {
  type DeliveryStats,
  type VerificationEventBus,
  type VerificationsService,
  createDeliveryStats,
  createVerificationEventBus,
  createVerificationsService,
} from './modules/verifications/index.js';
import { type WebhooksService, createWebhooksService } from './modules/webhooks/index.js';
import type { Config } from './platform/config.js';
import type { Database } from './platform/db/database.js';
import { type RateLimiter, createRateLimiter } from './platform/http/rate-limit.js';
import type { Jobs } from './platform/jobs.js';
import type { Logger } from './platform/logger.js';
import type { Mailer } from './platform/mail/mailer.js';
import type { Metrics } from './platform/metrics.js';
import type { FiveSimClient } from './providers/fivesim/index.js';
import type { PaystackClient } from './providers/paystack/index.js';
import type { TextVerifiedClient } from './providers/textverified/index.js';

/** What a process runs on: configuration, stores, queues, telemetry and the upstream clients. */
export interface Platform {
  config: Config;
  database: Database;
  redis: Redis | undefined;
  jobs: Jobs | undefined;
  metrics: Metrics;
  logger: Logger;
  /** Upstream clients; absent when not configured (their routes then answer 503). */
  providers: {
    paystack: PaystackClient | undefined;
    textVerified: TextVerifiedClient | undefined;
    /** The second SMS upstream (optional); routing uses the configured ones only. */
    fiveSim?: FiveSimClient | undefined;
    mailer: Mailer | undefined;
  };
}

/** Every module's service, one instance each per process. */
export interface Services {
  /** The application's limiter (shared through Redis): route limits, the login lockout, TOTP checks. */
  rateLimiter: RateLimiter;
  ledger: LedgerService;
  tiers: TiersService;
  audit: AuditService;
  accounts: AccountsService;
  apiKeys: ApiKeysService;
  catalog: CatalogService;
  /** Success rate and time to the code from our own orders (shown by the catalogue). */
  deliveryStats: DeliveryStats;
  routing: RoutingService;
  verificationEvents: VerificationEventBus;
  verifications: VerificationsService;
  payments: PaymentsService;
  admin: AdminService;
  subscriptions: SubscriptionsService;
  webhooks: WebhooksService;
  smsActivate: SmsActivateService;
  /** Releases what the services hold open (the event bus's connections). */
  close(): Promise<void>;
}

export function createServices(platform: Platform): Services {
  const { config, database, logger, providers } = platform;
  const db = database.db;
  const rateLimiter = createRateLimiter({
    redis: platform.redis,
    keyPrefix: config.rateLimit.keyPrefix,
    logger,
  });
  const ledger = createLedgerService();
  const tiers = createTiersService({ db });
  const audit = createAuditService({ db });
  const accounts = createAccountsService({
    db,
    config,
    logger,
    mailer: providers.mailer,
    jobs: platform.jobs,
    rateLimiter,
    ledger,
    audit,
  });
  const apiKeys = createApiKeysService({
    db,
    accounts,
    tiers,
    audit,
    rotationOverlapMs: config.apiKeyRotationOverlapHours * 3_600_000,
  });
  // Before the modules that emit events (verifications, payments, subscriptions).
  const webhooks = createWebhooksService({
    db,
    tiers,
    accounts,
    mailer: providers.mailer,
    jobs: platform.jobs,
    logger,
    secrets: config,
    publicUrl: config.publicUrl,
    outbound: { allowPrivate: config.allowPrivateWebhookTargets, requireHttps: config.isProduction },
  });
  // Before the catalogue, which shows its figures; it reads only the orders' table.
  const deliveryStats = createDeliveryStats({ db, settings: config.deliveryStats });
  const upstreams: Upstream[] = [];
  if (providers.textVerified) upstreams.push(textVerifiedUpstream(providers.textVerified));
  if (providers.fiveSim) upstreams.push(fiveSimUpstream(providers.fiveSim));
  const routing = createRoutingService({
    db,
    upstreams,
    cacheTtlMs: config.catalog.cacheTtlSeconds * 1000,
    // Routing weighs each provider's measured success (7 days) against its price.
    successRate: async (service, country, provider) =>
      (await deliveryStats.snapshot()).forProvider(service, country, provider).last7d?.successRate ?? null,
  });
  const catalog = createCatalogService({
    db,
    textVerified: providers.textVerified,
    // With one provider its own price and stock are the catalogue's; with more, the cheapest offer.
    offerSource: upstreams.length > 1 ? (request) => routing.bestOffer(request) : undefined,
    tiers,
    settings: config.catalog,
    deliveryStats,
  });
  const verificationEvents = createVerificationEventBus({
    database,
    config,
    redis: platform.redis,
    logger,
  });
  const verifications = createVerificationsService({
    db,
    logger,
    metrics: platform.metrics,
    routing,
    textVerified: providers.textVerified,
    fiveSim: providers.fiveSim,
    ledger,
    tiers,
    catalog,
    events: verificationEvents,
    webhooks,
  });
  const payments = createPaymentsService({
    db,
    ledger,
    audit,
    paystack: providers.paystack,
    paystackSecretKey: config.paystack.secretKey,
    publicUrl: config.publicUrl,
    ngnPerUsd: config.ngnPerUsd,
    logger,
    webhooks,
  });
  const admin = createAdminService({
    db,
    accounts,
    apiKeys,
    ledger,
    audit,
    tiers,
    catalog,
    routing,
    verifications,
    payments,
    deliveryStats,
    paystackConfigured: providers.paystack !== undefined && config.paystack.secretKey !== undefined,
    defaultMarkupBps: config.catalog.markupBps,
  });
  const subscriptions = createSubscriptionsService({
    db,
    ledger,
    tiers,
    accounts,
    mailer: providers.mailer,
    jobs: platform.jobs,
    publicUrl: config.publicUrl,
    logger,
    emitEvent: async (tx, event) => void (await webhooks.emitEvent(tx, event)),
  });
  const smsActivate = createSmsActivateService({ db, verifications, catalog, payments });
  return {
    rateLimiter,
    ledger,
    tiers,
    audit,
    accounts,
    apiKeys,
    catalog,
    deliveryStats,
    routing,
    verificationEvents,
    verifications,
    payments,
    admin,
    subscriptions,
    webhooks,
    smsActivate,
    close: () => verificationEvents.close(),
  };
}
