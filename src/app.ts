import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { clientErrorHandler } from './platform/http/client-errors.js';
import { registerErrorHandling } from './platform/http/error-handler.js';
import { registerFirewall } from './platform/http/firewall.js';
import { registerHealthRoutes } from './platform/http/health-routes.js';
import { registerMetricsRoute } from './platform/http/metrics-route.js';
import { registerOpenApi } from './platform/http/openapi.js';
import { registerPrincipal } from './platform/http/principal.js';
import { registerRateLimits, registerRouteRateLimits } from './platform/http/rate-limit.js';
import { SECURITY_HEADERS, registerSecurityHeaders } from './platform/http/security-headers.js';
import type { PlatformDeps } from './platform/module.js';
import { registerCatalogRoutes } from './modules/catalog/routes.js';
import { registerIdempotency } from './modules/idempotency/plugin.js';
import { registerAccountsRoutes } from './modules/accounts/routes.js';
import { registerApiKeysRoutes } from './modules/api-keys/routes.js';
import { registerAuthentication } from './platform/http/auth.js';
import { registerVerificationRoutes } from './modules/verifications/routes.js';
import { registerPaymentsRoutes } from './modules/payments/routes.js';

export type AppDeps = PlatformDeps;

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Composes the application: platform plugins first, then each domain module. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
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
        .send({ error: { code: 'bad_request', message: 'The request URL is malformed.' } }),
    clientErrorHandler,
  });
  // Only JSON bodies (per-route parsers aside): a text/plain body is 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  registerPrincipal(app);
  registerErrorHandling(app);

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpDuration.observe(
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
  await registerFirewall(app, deps);
  registerRateLimits(app, deps);
  // The OpenAPI document collects routes as they are added: before every route, after the layers above.
  await registerOpenApi(app, { publicUrl: config.publicUrl });

  // 2. Authentication (sets request.principal) and CSRF.
  await registerAuthentication(app, deps);

  // 3. Per-route rate limits.
  registerRouteRateLimits(app);

  registerIdempotency(app, { db: deps.database.db, ttlHours: config.idempotencyTtlHours });
  registerHealthRoutes(app, deps);
  // With METRICS_PORT the metrics have their own listener (runtime.ts) and stay off the public port.
  if (config.metrics.port === undefined)
    registerMetricsRoute(app, { metrics: deps.metrics, token: config.metrics.token });

  // 4. Domain modules.
  registerAccountsRoutes(app, deps);
  registerApiKeysRoutes(app, deps);
  registerCatalogRoutes(app, deps);
  registerVerificationRoutes(app, deps);
  registerPaymentsRoutes(app, deps);

  return app;
}
