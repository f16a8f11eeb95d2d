import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { clientErrorHandler } from './platform/http/client-errors.js';
import type { ErrorBody } from './platform/errors.js';
import { registerErrorHandling } from './platform/http/error-handler.js';
import { registerNulRefusal } from './platform/http/nul-refusal.js';
import { registerFirewall } from './platform/http/firewall.js';
import { registerHealthRoutes } from './platform/http/health-routes.js';
import { registerMetricsRoute } from './platform/http/metrics-route.js';
import { registerOpenApi } from './platform/http/openapi.js';
import { registerPrincipal } from './platform/http/principal.js';
import { registerRateLimits, registerRouteRateLimits } from './platform/http/rate-limit.js';
import { SECURITY_HEADERS, registerSecurityHeaders } from './platform/http/security-headers.js';
import {
  createApiKeyAuthentication,
  registerAccountsRoutes,
  registerAuthentication,
} from './modules/accounts/index.js';
import { registerAdminRoutes } from './modules/admin/index.js';
import { registerApiKeysRoutes } from './modules/api-keys/index.js';
import { registerCatalogRoutes } from './modules/catalog/index.js';
import { registerIdempotency } from './modules/idempotency/index.js';
import { registerPaymentsRoutes } from './modules/payments/index.js';
import { registerSmsActivateRoutes } from './modules/sms-activate/index.js';
import { registerSubscriptionsRoutes } from './modules/subscriptions/index.js';
import { registerVerificationRoutes } from './modules/verifications/index.js';
import { registerWebhooksRoutes } from './modules/webhooks/index.js';
import type { Platform, Services } from './services.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Composes the HTTP application: platform plugins first, then each domain module's routes, given
 * the services the composition root built (`createServices`, src/services.ts).
 */
export async function buildApp(platform: Platform, services: Services): Promise<FastifyInstance> {
  const { config } = platform;
  const app = Fastify({
    loggerInstance: platform.logger as FastifyBaseLogger,
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    bodyLimit: 256 * 1024,
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // A malformed URL (bad percent-encoding, over-long parameter) is refused before routing, so no
    // hook runs: answer in the API's error shape with the security headers, without echoing the path.
    frameworkErrors: (error, _request, reply: FastifyReply) =>
      reply
        .headers(SECURITY_HEADERS)
        .status(error.statusCode ?? 400)
        .send({
          error: { code: 'bad_request', message: 'The request URL is malformed.' },
        } satisfies ErrorBody),
    clientErrorHandler,
  });
  // Only JSON bodies (per-route parsers aside): a text/plain body is 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  registerPrincipal(app);
  registerErrorHandling(app);
  registerNulRefusal(app);

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    platform.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  // Hooks run in registration order: protective layers, then who is calling, then per-route limits,
  // then idempotency (a refused request never claims a key), then the routes.

  // 1. Protective layers (WAF, security headers, global rate limit).
  registerSecurityHeaders(app);
  await registerFirewall(app, platform);
  registerRateLimits(app, { ...platform, limiter: services.rateLimiter });
  // The OpenAPI document collects routes as they are added: before every route, after the layers above.
  await registerOpenApi(app, { publicUrl: config.publicUrl });

  // 2. Authentication (sets request.principal) and CSRF.
  await registerAuthentication(app, { config, accounts: services.accounts, apiKeys: services.apiKeys });

  // 3. Per-route rate limits.
  registerRouteRateLimits(app);

  registerIdempotency(app, {
    db: platform.database.db,
    ttlHours: config.idempotencyTtlHours,
    secrets: config,
  });
  registerHealthRoutes(app, platform);
  // With METRICS_PORT the metrics have their own listener (runtime.ts) and stay off the public port.
  if (config.metrics.port === undefined)
    registerMetricsRoute(app, { metrics: platform.metrics, token: config.metrics.token });

  // 4. Domain modules.
  registerAccountsRoutes(app, { config, accounts: services.accounts });
  registerApiKeysRoutes(app, { apiKeys: services.apiKeys });
  registerCatalogRoutes(app, { catalog: services.catalog });
  registerVerificationRoutes(app, {
    config,
    logger: platform.logger,
    verifications: services.verifications,
    tiers: services.tiers,
    access: {
      liveSessionIds: services.accounts.liveSessionIds,
      activeUserIds: services.accounts.activeUserIds,
      liveApiKeyIds: services.apiKeys.liveApiKeyIds,
    },
  });
  registerPaymentsRoutes(app, { payments: services.payments });
  registerAdminRoutes(app, { admin: services.admin });
  registerSubscriptionsRoutes(app, { subscriptions: services.subscriptions });
  registerWebhooksRoutes(app, { webhooks: services.webhooks });
  registerSmsActivateRoutes(app, {
    smsActivate: services.smsActivate,
    authenticateApiKey: createApiKeyAuthentication(services),
    tiers: services.tiers,
  });

  return app;
}
