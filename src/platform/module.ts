import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Jobs } from './jobs.js';
import type { Logger } from './logger.js';
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
}
