import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/platform/config.js';
import type { Database } from '../../src/platform/db/database.js';
import type { Jobs } from '../../src/platform/jobs.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import type { PlatformDeps } from '../../src/platform/module.js';

export interface TestAppOptions {
  database: Database;
  redis?: Redis;
  jobs?: Jobs;
  providers?: Partial<PlatformDeps['providers']>;
  env?: Record<string, string>;
  /** Receives every log line, for tests that assert what logs never contain. */
  logStream?: NodeJS.WritableStream;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SANDBOXES: 'false',
    // Each test app counts rate limits apart (even on a shared Redis) unless a test passes one prefix.
    RATE_LIMIT_KEY_PREFIX: `test:rl:${randomBytes(6).toString('hex')}`,
    ...env,
  });
}

/** The real application on a test database; routes may be added before the first request. */
export async function createTestApp(options: TestAppOptions): Promise<FastifyInstance> {
  const config = testConfig(options.logStream ? { LOG_LEVEL: 'info', ...options.env } : options.env);
  return buildApp({
    config,
    database: options.database,
    redis: options.redis,
    jobs: options.jobs,
    metrics: createMetrics(),
    logger: createLogger(config.logLevel, options.logStream),
    providers: { paystack: undefined, textVerified: undefined, mailer: undefined, ...options.providers },
  });
}
