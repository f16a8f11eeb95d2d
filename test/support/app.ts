import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/platform/config.js';
import type { Database } from '../../src/platform/db/database.js';
import type { Jobs } from '../../src/platform/jobs.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { type Platform, type Services, createServices } from '../../src/services.js';

export interface TestAppOptions {
  database: Database;
  redis?: Redis;
  jobs?: Jobs;
  providers?: Partial<Platform['providers']>;
  env?: Record<string, string>;
  /** Receives every log line, for tests that assert what logs never contain. */
  logStream?: NodeJS.WritableStream;
  /**
   * Services to use instead of the built ones (e.g. one with an injected clock), given what was
   * built; the routes, the authentication hook and `app.services` then all use the replacement.
   */
  replace?: (services: Services, platform: Platform) => Partial<Services>;
}

/** The application under test, with the services its routes use (the same instances). */
export type TestApp = FastifyInstance & { services: Services; platform: Platform };

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

/** The platform a test app runs on (what `startRuntime` builds in production). */
export function testPlatform(options: TestAppOptions): Platform {
  const config = testConfig(options.logStream ? { LOG_LEVEL: 'info', ...options.env } : options.env);
  return {
    config,
    database: options.database,
    redis: options.redis,
    jobs: options.jobs,
    metrics: createMetrics(),
    logger: createLogger(config.logLevel, options.logStream),
    providers: { paystack: undefined, textVerified: undefined, mailer: undefined, ...options.providers },
  };
}

/**
 * The real application on a test database, built as `startRuntime` builds it (`createServices`,
 * then `buildApp`); routes may be added before the first request. `app.services` are the services
 * its routes use, for tests that drive a module directly; closing the app closes them.
 */
export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const platform = testPlatform(options);
  const built = createServices(platform);
  const services: Services = { ...built, ...options.replace?.(built, platform) };
  const app = await buildApp(platform, services);
  app.addHook('onClose', () => services.close());
  app.decorate('services', services);
  app.decorate('platform', platform);
  return app as TestApp;
}
