import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { defineAccountsJobs } from './modules/accounts/index.js';
import { defineIdempotencyJobs } from './modules/idempotency/index.js';
import { registerLedgerMetrics } from './modules/ledger/index.js';
import { definePaymentsJobs } from './modules/payments/index.js';
import { defineSubscriptionsJobs } from './modules/subscriptions/index.js';
import { defineVerificationJobs, registerVerificationMetrics } from './modules/verifications/index.js';
import { defineWebhooksJobs, registerWebhooksMetrics } from './modules/webhooks/index.js';
import type { Config } from './platform/config.js';
import { type Database, openDatabase } from './platform/db/database.js';
import { Jobs } from './platform/jobs.js';
import { createLogger } from './platform/logger.js';
import { createMailer } from './platform/mail/mailer.js';
import { createMetrics } from './platform/metrics.js';
import { startMetricsListener } from './platform/http/metrics-route.js';
import { registerWebApp } from './platform/http/web-app.js';
import { registerProviderMetrics } from './provider-metrics.js';
import { createRedis } from './platform/redis.js';
import { createPaystackClient } from './providers/paystack/index.js';
import { createFiveSimClient } from './providers/fivesim/index.js';
import { createTextVerifiedClient } from './providers/textverified/index.js';
import { type EmbeddedSandboxes, startEmbeddedSandboxes } from './sandbox/embedded.js';
import { registerInboxRoutes } from './sandbox/smtp/inbox-routes.js';
import { type Platform, type Services, createServices } from './services.js';

export interface Runtime {
  app: FastifyInstance;
  config: Config;
  platform: Platform;
  services: Services;
  database: Database;
  jobs: Jobs;
  redis: Redis | undefined;
  sandboxes: EmbeddedSandboxes | undefined;
  /** Where the web role listens, once started. */
  url: string | undefined;
  /** Where `/metrics` listens when it has a listener of its own (METRICS_PORT). */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts one Namaskah process: database (migrated), Redis when configured, the provider sandboxes
 * in embedded mode, durable jobs, and the HTTP server for the `web` role. The same code runs
 * embedded (PGlite) and in production.
 */
export async function startRuntime(
  initialConfig: Config,
  options: { listen?: boolean; logStream?: NodeJS.WritableStream } = {},
): Promise<Runtime> {
  const cleanup: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  const logger = createLogger(initialConfig.logLevel, options.logStream);
  // How long each step of the start took: logged once, so a slow start says where its time went.
  const phases: Record<string, number> = {};
  let phaseStarted = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - phaseStarted);
    phaseStarted = now;
  };
  try {
    let config = initialConfig;
    // The sandboxes and the database start side by side (neither needs the other); whichever
    // started is closed again if the other fails.
    const [sandboxesStarted, databaseOpened] = await Promise.allSettled([
      config.sandboxes ? startEmbeddedSandboxes(config) : Promise.resolve(undefined),
      openDatabase(config.database),
    ]);
    const sandboxes = sandboxesStarted.status === 'fulfilled' ? sandboxesStarted.value : undefined;
    if (sandboxes) {
      cleanup.push(() => sandboxes.close());
      config = { ...config, ...sandboxes.settings };
    }
    if (databaseOpened.status === 'fulfilled') cleanup.push(() => databaseOpened.value.close());
    if (sandboxesStarted.status === 'rejected') throw sandboxesStarted.reason;
    if (databaseOpened.status === 'rejected') throw databaseOpened.reason;
    const database = databaseOpened.value;
    phase('sandboxes and database');

    let redis: Redis | undefined;
    if (config.redisUrl) {
      redis = await createRedis(config.redisUrl);
      cleanup.push(async () => redis?.disconnect());
      await redis
        .connect()
        .catch((error: unknown) => logger.warn({ err: error }, 'Redis is not reachable yet'));
    }

    const metrics = createMetrics();
    registerLedgerMetrics(metrics, database.db);
    registerVerificationMetrics(metrics, database.db);
    registerWebhooksMetrics(metrics, database.db);
    const jobs = new Jobs(database.sql, logger, metrics, { sendOnly: config.role === 'web' });
    const platform: Platform = {
      config,
      database,
      redis,
      jobs,
      metrics,
      logger,
      providers: createProviders(config, logger),
    };
    registerProviderMetrics(metrics, {
      textVerified: platform.providers.textVerified,
      fiveSim: platform.providers.fiveSim,
      logger,
    });

    const services = createServices(platform);
    cleanup.push(() => services.close());

    defineIdempotencyJobs(jobs, { db: database.db, ttlHours: config.idempotencyTtlHours });
    defineAccountsJobs(jobs, { logger, accounts: services.accounts });
    defineVerificationJobs(jobs, { verifications: services.verifications });
    definePaymentsJobs(jobs, { logger, payments: services.payments });
    defineSubscriptionsJobs(jobs, { logger, subscriptions: services.subscriptions });
    defineWebhooksJobs(jobs, { logger, webhooks: services.webhooks });

    phase('services');
    // The migrations are mostly the database's work (embedded: on its own thread, which may still
    // be starting), the HTTP app's build is this thread's: side by side. Nothing before them, nor
    // in the build, queries the database.
    const [databaseReady, appBuilt] = await Promise.allSettled([
      (async () => {
        await database.migrate();
        // A server that cannot give all the kept connections now still serves: they open on demand.
        await database
          .warm()
          .catch((error: unknown) =>
            logger.warn({ err: error }, 'could not open the kept database connections'),
          );
      })(),
      buildHttpApp(platform, services, sandboxes, cleanup),
    ]);
    if (databaseReady.status === 'rejected') throw databaseReady.reason;
    if (appBuilt.status === 'rejected') throw appBuilt.reason;
    const app = appBuilt.value;
    phase('database and http app');
    // The job queue starts while the server begins to serve (it is the database's work, ~0.25 s
    // embedded): a request that sends a job waits for it, and /readyz reports it until it runs.
    cleanup.push(() => jobs.stop());
    const jobsStarted = jobs.start();
    jobsStarted.catch(() => undefined); // awaited below, after listen
    let url: string | undefined;
    if (options.listen !== false && config.role !== 'worker') {
      url = await app.listen({ port: config.port, host: config.host });
    } else {
      await app.ready();
    }
    phase('listen');
    // A queue that cannot start stops the server, as before it served.
    await jobsStarted;
    phase('jobs');
    if (config.role !== 'web') await jobs.work();
    phase('workers');
    logger.info({ startMs: phases }, 'started');
    let metricsUrl: string | undefined;
    if (options.listen !== false && config.metrics.port !== undefined) {
      const listener = await startMetricsListener({ config, metrics, logger });
      cleanup.push(() => listener.close());
      metricsUrl = listener.url;
    }
    return { app, config, platform, services, database, jobs, redis, sandboxes, url, metricsUrl, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function buildHttpApp(
  platform: Platform,
  services: Services,
  sandboxes: EmbeddedSandboxes | undefined,
  cleanup: (() => Promise<void>)[],
): Promise<FastifyInstance> {
  const { config, logger } = platform;
  const app = await buildApp(platform, services);
  cleanup.push(() => app.close());
  await registerWebApp(app, {
    embedded: sandboxes !== undefined,
    ...(sandboxes ? { sandboxMailUrl: '/_sandbox/mail/' } : {}),
  });
  // In embedded mode the e-mails the product sends (confirmation, reset) are read here.
  if (sandboxes) registerInboxRoutes(app, sandboxes.smtp, { prefix: '/_sandbox/mail' });
  if (config.waf.blocklistFile) {
    // `kill -HUP <pid>` re-reads the WAF blocklist; a bad file keeps the previous list.
    const reloadBlocklist = () => {
      app.waf
        .reloadBlocklist()
        .catch((error: unknown) => logger.error({ err: error }, 'WAF blocklist reload failed'));
    };
    process.on('SIGHUP', reloadBlocklist);
    cleanup.push(async () => void process.off('SIGHUP', reloadBlocklist));
  }
  return app;
}

function createProviders(config: Config, logger: Platform['logger']): Platform['providers'] {
  const { textVerified: tv, fiveSim, paystack } = config;
  return {
    textVerified:
      tv.baseUrl && tv.apiKey && tv.username
        ? createTextVerifiedClient({ baseUrl: tv.baseUrl, apiKey: tv.apiKey, username: tv.username })
        : undefined,
    fiveSim: fiveSim.apiKey
      ? createFiveSimClient({
          baseUrl: fiveSim.baseUrl ?? 'https://5sim.net',
          apiKey: fiveSim.apiKey,
          centsPerUnit: fiveSim.centsPerUnit,
          reuseWindowMs: fiveSim.reuseWindowMs,
        })
      : undefined,
    paystack: paystack.secretKey
      ? createPaystackClient({
          baseUrl: paystack.baseUrl ?? 'https://api.paystack.co',
          secretKey: paystack.secretKey,
        })
      : undefined,
    mailer: config.smtpUrl
      ? createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, logger })
      : undefined,
  };
}
