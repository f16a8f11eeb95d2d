import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/platform/config.js';
import { type Database, openDatabase } from '../src/platform/db/database.js';
import type { Jobs } from '../src/platform/jobs.js';
import { createLogger } from '../src/platform/logger.js';
import { createMetrics } from '../src/platform/metrics.js';
import { type Platform, type Services, createServices } from '../src/services.js';
import { BENCH_DATABASE_URL } from './database-url.js';

/** A fresh, migrated PostgreSQL database for one benchmark run; dropped afterwards. */
export async function benchDatabase(
  poolSize: number,
): Promise<{ database: Database; dispose(): Promise<void> }> {
  const name = `namaskah_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = new URL(BENCH_DATABASE_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'pg', url: url.toString(), poolSize });
  await database.migrate();
  return {
    database,
    dispose: async () => {
      await database.close();
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** The real application on a benchmark database, quiet, with the providers a benchmark brings. */
export async function benchApp(
  database: Database,
  options: {
    providers?: Partial<Platform['providers']>;
    env?: Record<string, string>;
    jobs?: Jobs;
  } = {},
): Promise<FastifyInstance & { services: Services }> {
  const platform: Platform = {
    config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SANDBOXES: 'false', ...options.env }),
    database,
    redis: undefined,
    jobs: options.jobs,
    metrics: createMetrics(),
    logger: createLogger('silent'),
    providers: { paystack: undefined, textVerified: undefined, mailer: undefined, ...options.providers },
  };
  const services = createServices(platform);
  const app = await buildApp(platform, services);
  app.addHook('onClose', () => services.close());
  app.decorate('services', services);
  return app as FastifyInstance & { services: Services };
}
