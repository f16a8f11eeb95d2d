import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { defineIdempotencyJobs } from './modules/idempotency/jobs.js';
import { registerLedgerMetrics } from './modules/ledger/metrics.js';
import type { Config } from './platform/config.js';
import { type Database, openDatabase } from './platform/db/database.js';
import { Jobs } from './platform/jobs.js';
import { createLogger } from './platform/logger.js';
import { createMetrics } from './platform/metrics.js';
import { createRedis } from './platform/redis.js';

export interface Runtime {
  app: FastifyInstance;
  database: Database;
  jobs: Jobs;
  redis: Redis | undefined;
  /** Where the web role listens, once started. */
  url: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts one Namaskah process: database (migrated), Redis when configured, durable jobs, and the
 * HTTP server for the `web` role. The same code runs embedded (PGlite) and in production.
 */
export async function startRuntime(config: Config, options: { listen?: boolean; logStream?: NodeJS.WritableStream } = {}): Promise<Runtime> {
  const cleanup: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  const logger = createLogger(config.logLevel, options.logStream);
  try {
    const database = await openDatabase(config.database);
    cleanup.push(() => database.close());
    await database.migrate();

    let redis: Redis | undefined;
    if (config.redisUrl) {
      redis = createRedis(config.redisUrl);
      cleanup.push(async () => redis?.disconnect());
      await redis.connect().catch(() => undefined);
    }

    const metrics = createMetrics();
    registerLedgerMetrics(metrics, database.db);

    const jobs = new Jobs(database.sql, logger, metrics);
    defineIdempotencyJobs(jobs, database.db, config.idempotencyTtlHours);
    await jobs.start({ work: config.role !== 'web' });
    cleanup.push(() => jobs.stop());

    const app = await buildApp({ config, database, redis, jobs, metrics, logger });

    let url: string | undefined;
    if (options.listen !== false && config.role !== 'worker') {
      const address = await app.listen({ port: config.port, host: config.host });
      url = address;
    } else {
      await app.ready();
    }
    cleanup.push(() => app.close());
    return { app, database, jobs, redis, url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
