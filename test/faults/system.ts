import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { type Database, openDatabase } from '../../src/platform/db/database.js';
import { type PaystackSandbox, startPaystackSandbox } from '../../src/sandbox/paystack/index.js';
import { type TextVerifiedSandbox, startTextVerifiedSandbox } from '../../src/sandbox/textverified/index.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { freePort } from '../support/embedded.js';
import { signInUser } from '../support/admin.js';
import type { GarbageProxy } from './garbage-proxy.js';
import { type PgCluster, type RedisServer, createDatabase, startPgCluster, startRedis } from './servers.js';

/**
 * The whole system as separate processes: the app (`src/main.ts` through tsx: `npm start`'s code) on a
 * PostgreSQL cluster and a Redis of the test's own, with the TextVerified and Paystack sandboxes in
 * the test process (they outlive the app when it is killed). Users are made through the same
 * database, signed in with real access tokens, and buy and top up over HTTP.
 */
const root = path.resolve(import.meta.dirname, '../..');

export interface AppProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

export interface Buyer {
  userId: string;
  token: string;
}

export interface FaultSystem {
  cluster: PgCluster;
  redis: RedisServer;
  tv: TextVerifiedSandbox;
  paystack: PaystackSandbox;
  /** `http://127.0.0.1:<port>`: the app's address, the same across restarts. */
  base: string;
  /** The test's own connection to the app's database (setup and final checks). */
  database: Database;
  databaseUrl: string;
  env: Record<string, string>;
  app: AppProcess | undefined;
  /** Starts the app process and waits for /readyz (the database and the job queue up). */
  startApp(): Promise<AppProcess>;
  /** kill -9: no shutdown, no cleanup. */
  killApp(): Promise<void>;
  buyers(count: number): Promise<Buyer[]>;
  dispose(): Promise<void>;
}

export async function startFaultSystem(
  options: { smsDelayMs?: number; env?: Record<string, string> } = {},
): Promise<FaultSystem> {
  const [cluster, redis] = await Promise.all([startPgCluster(), startRedis()]);
  const databaseUrl = await createDatabase(cluster, 'namaskah');
  const database = await openDatabase(
    { kind: 'pg', url: databaseUrl, poolSize: 4 },
    { connectionTimeoutMs: 5_000 },
  );
  await database.migrate();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const secret = () => randomBytes(12).toString('hex');
  const tvSecrets = {
    apiKey: secret(),
    username: 'faults@namaskah.test',
    webhookSecret: `whsec_${secret()}`,
  };
  const tv = await startTextVerifiedSandbox({
    ...tvSecrets,
    webhookUrl: `${base}/api/v1/hooks/textverified`,
    smsDelayMs: options.smsDelayMs ?? 1_500,
    maxUnfinished: 100_000,
    balanceCents: 100_000_000,
    // A hang is a provider that never answers: the client's own timeout must end it.
    hangMs: 60_000,
  });
  tv.control.setStock('whatsapp', 100_000);
  const paystackSecret = `sk_test_${secret()}`;
  const paystack = await startPaystackSandbox({
    secretKey: paystackSecret,
    webhookUrl: `${base}/api/v1/hooks/paystack`,
    // Retries that outlast an app restart (the reconciler is the backstop after that).
    webhookRetryDelaysMs: [500, 2_000, 5_000, 10_000],
  });
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '10',
    APP_SECRET: `faults-${secret()}-${secret()}`,
    REDIS_URL: redis.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: base,
    SANDBOXES: 'false',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
    TEXTVERIFIED_BASE_URL: tv.url,
    TEXTVERIFIED_API_KEY: tvSecrets.apiKey,
    TEXTVERIFIED_USERNAME: tvSecrets.username,
    TEXTVERIFIED_WEBHOOK_SECRET: tvSecrets.webhookSecret,
    PAYSTACK_BASE_URL: paystack.url,
    PAYSTACK_SECRET_KEY: paystackSecret,
    PAYSTACK_PUBLIC_KEY: `pk_test_${secret()}`,
    ...options.env,
  };
  // The test's in-process app on the same database: makes users and signs them in (real tokens,
  // signed with the same secret the app process checks).
  const helper: TestApp = await createTestApp({ database, env: { APP_SECRET: env.APP_SECRET! } });
  // Load, not the tiers' limits, is under test (new accounts start on the free tier).
  for (const tier of await helper.services.tiers.list()) {
    await helper.services.tiers.update(tier.name, { maxActiveOrders: 10_000, purchaseRatePerMinute: 10_000 });
  }

  const system: FaultSystem = {
    cluster,
    redis,
    tv,
    paystack,
    base,
    database,
    databaseUrl,
    env,
    app: undefined,
    async startApp() {
      const app = spawnApp(env);
      system.app = app;
      await waitForReady(base, app);
      return app;
    },
    async killApp() {
      const app = system.app;
      if (!app) return;
      app.child.kill('SIGKILL');
      await app.exited;
      system.app = undefined;
    },
    async buyers(count) {
      const made: Buyer[] = [];
      for (let i = 0; i < count; i++) {
        const user = await signInUser(helper);
        await database.db.execute(sql`update users set email_confirmed_at = now() where id = ${user.userId}`);
        made.push({ userId: user.userId, token: user.accessToken });
      }
      return made;
    },
    async dispose() {
      if (system.app) {
        system.app.child.kill('SIGKILL');
        await system.app.exited;
      }
      await helper.close().catch(() => undefined);
      await database.close().catch(() => undefined);
      await Promise.allSettled([tv.close(), paystack.close(), redis.dispose()]);
      await cluster.dispose();
    },
  };
  return system;
}

function spawnApp(env: Record<string, string>): AppProcess {
  const { DATABASE_URL: _d, REDIS_URL: _r, APP_SECRET: _s, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...inherited, ...env },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitForReady(base: string, app: AppProcess): Promise<void> {
  // Generous: on two cores shared with other test files a start can take a while.
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null) throw new Error(`the app exited at start:\n${app.output()}`);
    // The server serves (/healthz) a moment before its job queue runs (/readyz).
    const response = await fetch(`${base}/readyz`).catch(() => undefined);
    if (response?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app was not ready in time:\n${app.output()}`);
}

export { call } from '../support/http-call.js';

export const newKey = () => randomUUID();

/** What the fault cases share: one system, its funded buyers, the proxy in front of TextVerified. */
export interface FaultContext {
  system: FaultSystem;
  buyers: Buyer[];
  proxy: GarbageProxy;
}
