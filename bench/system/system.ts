import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { BENCH_DATABASE_URL } from '../database-url.js';
import { type InvariantReport, checkLedgerInvariants } from '../../src/modules/ledger/index.js';
import { type PaymentsService, createPaymentsService } from '../../src/modules/payments/index.js';
import { type Database, openDatabase } from '../../src/platform/db/database.js';
import { createLogger } from '../../src/platform/logger.js';
import { createPaystackClient } from '../../src/providers/paystack/index.js';
import { type TestApp, createTestApp } from '../../test/support/app.js';
import { signInUser } from '../../test/support/admin.js';
import { freePort } from '../../test/support/embedded.js';
import { fundWallet } from '../../test/support/wallet.js';
import type { CpuGroups } from './cpu.js';
import { type RoundRobinProxy, startRoundRobinProxy } from './proxy.js';
import type { SandboxSettings } from './sandboxes-process.js';

/**
 * The whole system for a benchmark, as separate processes: `instances` app processes (the
 * production build, `node dist/main.js` as docs/deploy.md runs it) on a fresh database of the shared
 * PostgreSQL and on the shared Redis, the TextVerified and Paystack sandboxes in a child process
 * of their own, and with several instances a round-robin proxy in front. The benchmark process
 * keeps a connection of its own to the database (users, funding, checks) and runs the clients.
 */
const root = path.resolve(import.meta.dirname, '../..');
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Buyer {
  userId: string;
  email: string;
  token: string;
}

export interface MoneyTotals {
  /** USD cents the Paystack sandbox says were paid, plus what the benchmark credited directly. */
  paidIn: number;
  /** What the ledger says came in (the clearing account's negative balance). */
  credited: number;
  wallets: number;
  held: number;
  revenue: number;
}

export interface BenchSystem {
  /** Where clients go: the app, or the proxy in front of the instances. */
  base: string;
  /** Each instance's own address. */
  instances: string[];
  databaseUrl: string;
  databaseName: string;
  database: Database;
  sandboxes: { tv: string; paystack: string };
  settings: SandboxSettings;
  helper: TestApp;
  /** The top-up reconciler's pass, with no staleness window (every open top-up is verified now). */
  reconciler: PaymentsService;
  buyers(count: number): Promise<Buyer[]>;
  /** Credits a wallet directly as a confirmed top-up (counted in `money().paidIn`). */
  fund(userId: string, cents: number): Promise<void>;
  money(): Promise<MoneyTotals>;
  ledgerCheck(): Promise<InvariantReport>;
  /** ANALYZE, as autovacuum does on a live database whose tables have grown. */
  analyze(): Promise<void>;
  /** The transactions committed in the benchmark's database so far, by every connection. */
  transactions(): Promise<number>;
  /**
   * Stops the app processes (SIGTERM, then SIGKILL after 10 s): pgbench then has the database's
   * connections and the CPU to itself (three instances' pools plus 50 pgbench clients would pass
   * a default max_connections of 100).
   */
  stopApps(): Promise<void>;
  /** The processes whose CPU time a round is charged with (see cpu.ts). */
  cpuGroups(): CpuGroups;
  paystackControl(pathname: string, body?: unknown): Promise<unknown>;
  tvControl(method: string, pathname: string, body?: unknown): Promise<unknown>;
  dispose(): Promise<void>;
}

interface Child {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** A Node process of `script`: TypeScript through tsx, JavaScript as it is. */
function spawnChild(script: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  const { DATABASE_URL: _d, REDIS_URL: _r, APP_SECRET: _s, ...inherited } = process.env;
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, script], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * `npm run build`'s server part (tsc into dist/): the apps run what a deployment runs. Run from
 * source through tsx, the same purchase cost the app about a fifth more CPU (50 buyers: 0.87
 * against 0.72 ms with one instance, 1.25 against 0.99 with three).
 */
function buildServer(): void {
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--no-web'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
}

async function waitFor(what: string, child: Child, ready: () => Promise<boolean>): Promise<void> {
  // Generous: a start on two busy cores can take a while.
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null) throw new Error(`${what} exited at start:\n${child.output()}`);
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not start in time:\n${child.output()}`);
}

export async function startBenchSystem(options: {
  instances: number;
  poolSize: number;
}): Promise<BenchSystem> {
  const secret = () => randomBytes(12).toString('hex');
  const databaseName = `namaskah_bench_${secret().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database "${databaseName}"`);
  const url = new URL(BENCH_DATABASE_URL);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  const database = await openDatabase({ kind: 'pg', url: databaseUrl, poolSize: 8 });
  await database.migrate();

  const ports = await Promise.all(Array.from({ length: options.instances }, () => freePort()));
  const instances = ports.map((port) => `http://127.0.0.1:${port}`);
  let proxy: RoundRobinProxy | undefined;
  if (instances.length > 1) proxy = await startRoundRobinProxy(instances);
  const base = proxy?.url ?? instances[0]!;
  const settings: SandboxSettings = {
    // With several instances TextVerified's webhooks all go to the second one: the SSE check
    // follows a stream on the first (through Redis) while the code arrives at another.
    tv: {
      apiKey: secret(),
      username: 'bench@namaskah.local',
      webhookSecret: `whsec_${secret()}`,
      webhookUrl: `${instances[Math.min(1, instances.length - 1)]}/api/v1/hooks/textverified`,
    },
    paystack: { secretKey: `sk_test_${secret()}`, webhookUrl: `${base}/api/v1/hooks/paystack` },
  };
  const sandboxProcess = spawnChild(
    'bench/system/sandboxes-process.ts',
    { BENCH_SANDBOXES: JSON.stringify(settings) },
    process.env.BENCH_SANDBOX_NODE_ARGS?.split(' ').filter(Boolean),
  );
  let sandboxes: { tv: string; paystack: string } | undefined;
  await waitFor('the sandboxes', sandboxProcess, async () => {
    const line = /READY (\{.*\})/.exec(sandboxProcess.output());
    if (line) sandboxes = JSON.parse(line[1]!) as { tv: string; paystack: string };
    return sandboxes !== undefined;
  });
  const urls = sandboxes!;

  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(options.poolSize),
    APP_SECRET: `bench-${secret()}-${secret()}`,
    REDIS_URL,
    RATE_LIMIT_KEY_PREFIX: `bench:rl:${secret()}`,
    HOST: '127.0.0.1',
    PUBLIC_URL: base,
    SANDBOXES: 'false',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
    TEXTVERIFIED_BASE_URL: urls.tv,
    TEXTVERIFIED_API_KEY: settings.tv.apiKey,
    TEXTVERIFIED_USERNAME: settings.tv.username,
    TEXTVERIFIED_WEBHOOK_SECRET: settings.tv.webhookSecret,
    PAYSTACK_BASE_URL: urls.paystack,
    PAYSTACK_SECRET_KEY: settings.paystack.secretKey,
    PAYSTACK_PUBLIC_KEY: `pk_test_${secret()}`,
  };
  const paystack = createPaystackClient({ baseUrl: urls.paystack, secretKey: settings.paystack.secretKey });
  // The benchmark's in-process app on the same database: makes users and signs them in (real
  // tokens, signed with the secret the app processes check), and starts top-ups as the route does.
  const helper = await createTestApp({
    database,
    providers: { paystack },
    env: {
      APP_SECRET: env.APP_SECRET!,
      PAYSTACK_SECRET_KEY: settings.paystack.secretKey,
      PAYSTACK_BASE_URL: urls.paystack,
      PUBLIC_URL: base,
    },
  });
  // Load, not the tiers' limits, is under test (set before the apps start: they cache tiers).
  for (const tier of await helper.services.tiers.list()) {
    await helper.services.tiers.update(tier.name, {
      maxActiveOrders: 10_000_000,
      purchaseRatePerMinute: 10_000_000,
    });
  }
  const reconciler = createPaymentsService({
    db: database.db,
    ledger: helper.services.ledger,
    audit: helper.services.audit,
    webhooks: helper.services.webhooks,
    paystack,
    paystackSecretKey: settings.paystack.secretKey,
    publicUrl: base,
    ngnPerUsd: helper.platform.config.ngnPerUsd,
    logger: createLogger('silent'),
    staleAfterMs: 0,
  });

  buildServer();
  const apps: Child[] = [];
  // One after another: the first migrates (nothing to do here) and the others find it done.
  try {
    for (const [i, port] of ports.entries()) {
      // BENCH_APP_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to look inside the app.
      const nodeArgs = process.env.BENCH_APP_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
      // As docs/deploy.md runs several: one process serves and runs the jobs, the others only serve.
      const role = i === 0 ? 'all' : 'web';
      const app = spawnChild('dist/main.js', { ...env, PORT: String(port), ROLE: role }, nodeArgs);
      apps.push(app);
      await waitFor(`app instance ${i + 1}`, app, async () => {
        // Ready, not only serving: the job queue starts as the server begins to serve.
        const response = await fetch(`${instances[i]}/readyz`);
        return response.status === 200;
      });
    }
  } catch (error) {
    // Nothing left behind: the processes started so far, the proxy, the database.
    for (const app of apps) app.child.kill('SIGKILL');
    sandboxProcess.child.kill('SIGKILL');
    await proxy?.close();
    await helper.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    await admin.query(`drop database if exists "${databaseName}" with (force)`).catch(() => undefined);
    await admin.end();
    throw error;
  }

  let directlyFunded = 0;
  const control = async (baseUrl: string, method: string, pathname: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}/_control${pathname}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`sandbox ${method} ${pathname}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };

  const stopApps = async () => {
    for (const app of apps.splice(0)) {
      app.child.kill('SIGTERM');
      const stopped = await Promise.race([
        app.exited.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), 10_000)),
      ]);
      if (!stopped) {
        app.child.kill('SIGKILL');
        await app.exited;
      }
    }
  };

  return {
    base,
    instances,
    databaseUrl,
    databaseName,
    database,
    sandboxes: urls,
    settings,
    helper,
    reconciler,
    async transactions() {
      // A backend reports its counts when it goes idle, at most once a second: wait for the last.
      await sleep(1_500);
      const { rows } = await database.sql.query(
        'select xact_commit::text as n from pg_stat_database where datname = current_database()',
      );
      return Number((rows[0] as { n: string }).n);
    },
    async buyers(count) {
      const made: Buyer[] = [];
      let next = 0;
      // A few at a time: sign-in hashes a password (argon2), the slow part of making a buyer.
      await Promise.all(
        Array.from({ length: Math.min(8, count) }, async () => {
          while (next < count) {
            next++;
            const user = await signInUser(helper);
            await database.db.execute(
              sql`update users set email_confirmed_at = now() where id = ${user.userId}`,
            );
            made.push({ userId: user.userId, email: user.email, token: user.accessToken });
          }
        }),
      );
      return made;
    },
    async fund(userId, cents) {
      await fundWallet(database.db, userId, cents);
      directlyFunded += cents;
    },
    async money() {
      const { transactions } = (await control(urls.paystack, 'GET', '/transactions')) as {
        transactions: { status: string; currency: string; amount: number | string }[];
      };
      const paid = transactions
        .filter((t) => t.status === 'success' && t.currency === 'USD')
        .reduce((sum, t) => sum + Number(t.amount), 0);
      const result = await database.sql.query(`
        select a.kind, coalesce(sum(e.amount), 0)::text as balance
          from ledger_accounts a left join ledger_entries e on e.account_id = a.id
         where a.currency = 'USD'
         group by a.kind`);
      const balance = (kind: string) => Number(result.rows.find((r) => r.kind === kind)?.balance ?? 0);
      return {
        paidIn: paid + directlyFunded,
        credited: -balance('paystack_clearing'),
        wallets: balance('wallet'),
        held: balance('escrow'),
        revenue: balance('revenue'),
      };
    },
    ledgerCheck: () => checkLedgerInvariants(database.db),
    analyze: async () => {
      await database.sql.query('analyze');
    },
    paystackControl: (pathname, body) => control(urls.paystack, 'POST', pathname, body ?? {}),
    tvControl: (method, pathname, body) => control(urls.tv, method, pathname, body),
    stopApps,
    cpuGroups: () => ({
      app: apps.flatMap((app) => (app.child.pid === undefined ? [] : [app.child.pid])),
      sandboxes: sandboxProcess.child.pid === undefined ? [] : [sandboxProcess.child.pid],
      client: [process.pid],
    }),
    async dispose() {
      await stopApps();
      sandboxProcess.child.stdin!.end();
      sandboxProcess.child.kill('SIGTERM');
      await sandboxProcess.exited;
      await proxy?.close();
      await helper.close().catch(() => undefined);
      await database.close().catch(() => undefined);
      // BENCH_KEEP_DATABASE keeps it for a look afterwards (e.g. pgbench -r on a kept script).
      if (!process.env.BENCH_KEEP_DATABASE) {
        await admin.query(`drop database if exists "${databaseName}" with (force)`).catch(() => undefined);
      }
      await admin.end();
    },
  };
}
