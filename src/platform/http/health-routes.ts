import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.js';
import type { Jobs } from '../jobs.js';
import type { Metrics } from '../metrics.js';

type CheckResult = 'ok' | 'down' | 'not_configured';

async function within(ms: number, check: () => Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), ms);
      }),
    ]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness and readiness (database, Redis when configured, jobs); `/metrics` is in metrics-route.ts. */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { database: Database; redis: Redis | undefined; jobs: Jobs | undefined; metrics: Metrics },
): void {
  app.get('/healthz', { config: { skipLog: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const [database, redis, jobs] = await Promise.all([
      within(2_000, () => deps.database.ping()),
      deps.redis ? within(2_000, () => deps.redis!.ping()) : Promise.resolve<CheckResult>('not_configured'),
      deps.jobs
        ? within(2_000, async () => {
            if (!(await deps.jobs!.healthy())) throw new Error('jobs not running');
          })
        : Promise.resolve<CheckResult>('not_configured'),
    ]);
    const checks = { database, redis, jobs };
    // Redis is optional (SPEC §9): without it rate limits count in memory and live streams refresh
    // on their own, so the instance keeps serving; taking it out of the load balancer would not help.
    const ready = database !== 'down' && jobs !== 'down';
    const status = !ready ? 'unavailable' : redis === 'down' ? 'degraded' : 'ready';
    return reply.status(ready ? 200 : 503).send({ status, checks });
  });
}
