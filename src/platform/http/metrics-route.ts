import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { clientErrorHandler } from './client-errors.js';
import { registerErrorHandling } from './error-handler.js';
import { registerSecurityHeaders } from './security-headers.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route checks a credential of its own (e.g. the metrics token): the user authentication skips it. */
    ownCredential?: boolean;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function presentsToken(request: FastifyRequest, expected: Buffer): boolean {
  const match = /^Bearer +([\x21-\x7e]{1,4096})$/i.exec(request.headers.authorization?.trim() ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}

/**
 * Prometheus metrics (SPEC §9): the ledger gauge queries the database at every scrape, so with
 * `METRICS_TOKEN` only `Authorization: Bearer <token>` is answered; production refuses to start
 * unless there is a token or the route lives on its own listener (`startMetricsListener`).
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  deps: { metrics: Metrics; token: string | undefined },
): void {
  const expected = deps.token === undefined ? undefined : digest(deps.token);
  app.get('/metrics', { config: { ownCredential: true } }, async (request, reply) => {
    if (expected && !presentsToken(request, expected)) {
      throw new AppError(401, 'unauthenticated', 'The metrics token is missing or wrong.', undefined, {
        'www-authenticate': 'Bearer realm="metrics"',
      });
    }
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}

/** `/metrics` alone on METRICS_HOST:METRICS_PORT, away from the public port; any role may run it. */
export async function startMetricsListener(deps: {
  config: Pick<Config, 'metrics'>;
  metrics: Metrics;
  logger: Logger;
}): Promise<{ url: string; close(): Promise<void> }> {
  const { host, port, token } = deps.config.metrics;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    disableRequestLogging: true,
    clientErrorHandler,
  });
  registerErrorHandling(app);
  registerSecurityHeaders(app);
  registerMetricsRoute(app, { metrics: deps.metrics, token });
  const url = await app.listen({ host, port: port ?? 0 });
  return { url, close: () => app.close() };
}
