/* eslint-disable security/detect-non-literal-fs-filename -- the paths are .run/'s code caches and temp data folders */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/platform/config.js';
import { startRuntime } from '../src/runtime.js';
import { createLedgerService } from '../src/modules/ledger/index.js';
import { freePort } from './support/embedded.js';
import { npmStartSteps } from './support/npm-start.js';
import { RUN_DIR } from '../scripts/start-inputs.mjs';
import { fundWallet } from './support/wallet.js';

const ledger = createLedgerService();

/**
 * `npm start` on a fresh machine: the embedded default, with no database server involved. Its steps
 * as package.json has them (the bundle into .run/ once, then the server per start), without npm.
 */

const root = path.resolve(import.meta.dirname, '..');
// scripts/serve-bundle.cjs reads and saves them.
const TOP_LEVEL_CACHE = path.join(RUN_DIR, 'main.cjs.top-level.v8-cache');
const FULL_CACHE = path.join(RUN_DIR, 'main.cjs.v8-cache');
const steps = npmStartSteps();
const folders: string[] = [];
const children: ChildProcess[] = [];

function tempDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'namaskah-start-'));
  folders.push(dir);
  return dir;
}

function start(env: Record<string, string>) {
  // No DATABASE_URL, no REDIS_URL, no secrets: exactly what a fresh clone has.
  const {
    DATABASE_URL: _db,
    REDIS_URL: _redis,
    APP_SECRET: _secret,
    SMTP_URL: _smtp,
    METRICS_TOKEN: _metrics,
    ...inherited
  } = process.env;
  const child = spawn(process.execPath, steps.start, {
    cwd: root,
    env: { ...inherited, LOG_LEVEL: 'warn', ...env },
  });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

beforeAll(() => {
  const prestart = spawnSync(process.execPath, steps.prestart, { cwd: root, encoding: 'utf8' });
  expect(prestart.stderr).toBe('');
  expect(prestart.status).toBe(0);
}, 60_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves /healthz within 20 s on PGlite and the API docs from its bundle, refuses a second process on the same data, stops cleanly', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const started = Date.now();
    const first = start({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' });
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status, {
        timeout: 20_000,
        interval: 250,
      })
      .toBe(200);
    expect(Date.now() - started).toBeLessThan(20_000);
    // Said once the job queue runs too, which starts as the server begins to serve.
    await expect
      .poll(() => first.output(), { timeout: 10_000 })
      .toContain(`Namaskah is running at http://127.0.0.1:${port}`);
    // Swagger UI is bundled and reads its own files from node_modules (scripts/start-build.ts).
    const docs = await fetch(`http://127.0.0.1:${port}/api/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('./static/swagger-ui-bundle.js');
    for (const asset of ['swagger-ui-bundle.js', 'logo.svg', 'swagger-initializer.js']) {
      const answer = await fetch(`http://127.0.0.1:${port}/api/docs/static/${asset}`);
      expect([asset, answer.status, (await answer.arrayBuffer()).byteLength > 100]).toEqual([
        asset,
        200,
        true,
      ]);
    }

    const second = start({ DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1' });
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/in use by another Namaskah process/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 60_000);

  it('runs with V8 code caches: the build makes one, a server saves another, a damaged one is replaced', async () => {
    // From the prestart's build, whenever it ran (a stale cache would be refused, never wrong).
    expect(statSync(TOP_LEVEL_CACHE).size).toBeGreaterThan(100_000);
    rmSync(FULL_CACHE, { force: true });
    const serveOnce = async () => {
      const port = await freePort();
      const run = start({ DATA_DIR: tempDataDir(), PORT: String(port), HOST: '127.0.0.1' });
      await expect
        .poll(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status, {
          timeout: 20_000,
          interval: 100,
        })
        .toBe(200);
      return run;
    };
    const savedBy = async (run: ReturnType<typeof start>, notThis?: Buffer) => {
      await expect
        .poll(() => existsSync(FULL_CACHE) && !readFileSync(FULL_CACHE).equals(notThis ?? Buffer.alloc(0)), {
          timeout: 10_000,
          interval: 100,
        })
        .toBe(true);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      return readFileSync(FULL_CACHE);
    };

    expect((await savedBy(await serveOnce())).length).toBeGreaterThan(1_000_000);
    // V8 refuses a cache that does not fit; the server starts without it and saves a good one.
    const damaged = Buffer.alloc(4096, 7);
    writeFileSync(FULL_CACHE, damaged);
    expect((await savedBy(await serveOnce(), damaged)).length).toBeGreaterThan(1_000_000);
  }, 90_000);

  it('exits 1 with a one-line reason on bad configuration', async () => {
    const run = start({ DATABASE_URL: 'mysql://localhost/namaskah', PORT: '3000' });
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toBe(
      'Invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL',
    );
  }, 30_000);

  /** Production as an operator would set it up, before the one mistake each case adds. */
  const production = {
    NODE_ENV: 'production',
    APP_SECRET: 'p'.repeat(40),
    // Port 1: the process must stop on the configuration, never get as far as connecting.
    DATABASE_URL: 'postgres://namaskah@127.0.0.1:1/namaskah',
    PUBLIC_URL: 'https://namaskah.example',
    SMTP_URL: 'smtp://mail.example:587',
    METRICS_TOKEN: 'metrics-token-0123456789',
    PORT: '3000',
  };

  it.each([
    [
      'production with the sandboxes',
      { ...production, SANDBOXES: 'true' },
      'Invalid configuration: SANDBOXES is refused in production (the sandbox mail inbox would publish every reset link)',
    ],
    [
      'a PostgreSQL database on the development secret',
      { DATABASE_URL: production.DATABASE_URL, PORT: '3000' },
      'Invalid configuration: APP_SECRET is required whenever DATABASE_URL is set (32+ characters)',
    ],
    [
      'production without outgoing mail',
      { ...production, SMTP_URL: '' },
      'Invalid configuration: SMTP_URL is required in production (confirmation and reset e-mails)',
    ],
    [
      'production with a public, open /metrics',
      { ...production, METRICS_TOKEN: '' },
      'Invalid configuration: METRICS_TOKEN or METRICS_PORT is required in production (/metrics needs a token or its own listener)',
    ],
  ])(
    'refuses to start: %s, with a one-line reason',
    async (_what, env, reason) => {
      const run = start(env);
      expect(await run.exited).toBe(1);
      expect(run.output().trim()).toBe(reason);
    },
    30_000,
  );

  it('keeps the data across a restart', async () => {
    const dataDir = tempDataDir();
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SANDBOXES: 'false',
    });
    const owner = randomUUID();
    const first = await startRuntime(config, { listen: false });
    await fundWallet(first.database.db, owner, 1234);
    await first.close();

    const second = await startRuntime(config, { listen: false });
    try {
      expect(await ledger.walletSummary(second.database.db, owner)).toEqual({ balance: 1234, held: 0 });
      expect((await second.app.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'ready' });
    } finally {
      await second.close();
    }
  }, 60_000);
});
