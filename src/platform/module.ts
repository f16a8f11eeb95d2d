import type { Redis } from 'ioredis';
import type { PaystackClient } from '../providers/paystack/index.js';
import type { TextVerifiedClient } from '../providers/textverified/index.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Jobs } from './jobs.js';
import type { Logger } from './logger.js';
import type { Mailer } from './mail/mailer.js';
import type { Metrics } from './metrics.js';

/**
 * What every domain module receives from the platform. A module registers its routes with
 * `register<Name>Routes(app, deps)` and its background work with `define<Name>Jobs(jobs, deps)`.
 */
export interface PlatformDeps {
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
    mailer: Mailer | undefined;
  };
}
