import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Challenge, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/embedded.js';

/**
 * The production build as a deployment ships it: `scripts/build.ts` compiles the server with tsc,
 * and a folder holding only package.json, node_modules, dist/, drizzle/ and web/dist/ (no src/, no
 * tsx loader) runs `node dist/main.js` and its CLIs. The web app itself is built by the global setup.
 */
const root = path.resolve(import.meta.dirname, '..');
const deployment = mkdtempSync(path.join(tmpdir(), 'namaskah-build-'));
const dataDir = path.join(deployment, 'data');
const children: ChildProcess[] = [];

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

function run(command: string, args: string[], env: Record<string, string> = {}): Run {
  // Nothing inherited that would point the process at a server or load a TypeScript loader.
  const {
    DATABASE_URL: _db,
    REDIS_URL: _redis,
    APP_SECRET: _secret,
    NODE_OPTIONS: _options,
    ...rest
  } = process.env;
  const child = spawn(command, args, {
    cwd: deployment,
    env: { ...rest, NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

const node = (script: string, args: string[] = [], env: Record<string, string> = {}) =>
  run(process.execPath, [script, ...args], env);

function filesUnder(dir: string): string[] {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the test's own temporary deployment folder
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

beforeAll(async () => {
  cpSync(path.join(root, 'package.json'), path.join(deployment, 'package.json'));
  cpSync(path.join(root, 'drizzle'), path.join(deployment, 'drizzle'), { recursive: true });
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the test's own temporary deployment folder
  mkdirSync(path.join(deployment, 'web'));
  cpSync(path.join(root, 'web/dist'), path.join(deployment, 'web/dist'), { recursive: true });
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the test's own temporary deployment folder
  symlinkSync(path.join(root, 'node_modules'), path.join(deployment, 'node_modules'), 'dir');
  const build = run(path.join(root, 'node_modules/.bin/tsx'), [
    path.join(root, 'scripts/build.ts'),
    '--out',
    path.join(deployment, 'dist'),
    '--no-web',
  ]);
  const code = await build.exited;
  if (code !== 0) throw new Error(`build failed (${code}):\n${build.output()}`);
}, 240_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(deployment, { recursive: true, force: true });
});

async function json(base: string, method: string, url: string, token?: string, body?: unknown) {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : null,
  });
  const text = await response.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads whatever JSON each route answers
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

/** The browser widget's work, over HTTP: fetch a challenge and solve it. */
async function captcha(base: string): Promise<string> {
  const challenge = (await (await fetch(`${base}/api/v1/captcha/challenge`)).json()) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

/** Polls /readyz until 200; fails with the server's output if it exits or takes over two minutes. */
async function waitUntilReady(base: string, server: Run): Promise<void> {
  let exit: number | null | undefined;
  void server.exited.then((code) => (exit = code));
  // Generous: two shared cores under other test runs can take a minute to start PGlite and migrate.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && exit === undefined) {
    const status = (await fetch(`${base}/readyz`).catch(() => undefined))?.status;
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the built server is not ready (exit ${exit}):\n${server.output()}`);
}

describe('npm run build → node dist/main.js', () => {
  it('compiles every server module to JavaScript and copies the files it reads', () => {
    const files = filesUnder(path.join(deployment, 'dist'));
    expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
    for (const needed of [
      'main.js',
      'modules/ledger/check-cli.js',
      'modules/accounts/data/common-passwords.txt',
    ])
      expect(files).toContain(path.join(deployment, 'dist', needed));
    expect(files.some((file) => /\.(test|suite)\.js$/.test(file))).toBe(false);
  });

  it('serves the product: pages, register, confirm, log in, top up, buy, code arrives; CLIs run from dist', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = node('dist/main.js', [], {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: base,
      SANDBOX_SMS_DELAY_MS: '500',
    });
    await waitUntilReady(base, server);
    // Said once the job workers run too, a moment after /readyz.
    await expect.poll(() => server.output(), { timeout: 10_000 }).toContain(`Namaskah is running at ${base}`);

    const page = await fetch(`${base}/wallet`);
    expect(page.status).toBe(200);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect((await fetch(`${base}${asset}`)).status).toBe(200);

    const email = 'built@example.test';
    const password = 'correct horse battery staple 42';
    const registered = await json(base, 'POST', '/api/v1/auth/register', undefined, {
      email,
      password,
      captcha: await captcha(base),
    });
    expect(registered.status).toBe(202);
    const inbox = `/_sandbox/mail/api/messages?to=${encodeURIComponent(email)}`;
    await expect
      .poll(async () => (await json(base, 'GET', inbox)).body.data.length, { timeout: 10_000 })
      .toBe(1);
    const mail = (await json(base, 'GET', inbox)).body.data[0] as { text: string };
    const confirmToken = decodeURIComponent(/token=([^\s"&<]+)/.exec(mail.text)![1]!);
    expect(
      (await json(base, 'POST', '/api/v1/auth/email/confirm', undefined, { token: confirmToken })).status,
    ).toBe(200);
    const login = await json(base, 'POST', '/api/v1/auth/login', undefined, { email, password });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;

    const topup = await json(base, 'POST', '/api/v1/wallet/topups', token, { amount: 1000 });
    expect(topup.status).toBe(201);
    const checkout = await fetch(topup.body.authorizationUrl as string);
    const action = /<form method="post" action="([^"]+\/pay)"/.exec(await checkout.text())![1]!;
    const paid = await fetch(new URL(action, checkout.url), { method: 'POST', redirect: 'manual' });
    await fetch(paid.headers.get('location')!, { redirect: 'manual' });
    expect((await json(base, 'GET', '/api/v1/wallet', token)).body.balance).toEqual({
      amount: 1000,
      currency: 'USD',
    });

    const order = await json(base, 'POST', '/api/v1/verifications', token, {
      service: 'whatsapp',
      country: 'US',
    });
    expect(order.status).toBe(201);
    await expect
      .poll(
        async () => (await json(base, 'GET', `/api/v1/verifications/${order.body.id}`, token)).body.status,
        // Not faster: polling every 50 ms for 20 s would meet the API's rate limit before the code.
        { timeout: 20_000, interval: 250 },
      )
      .toBe('completed');

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    // The CLIs run from dist too, on the data the server left (PGlite allows one process at a time).
    const check = node('dist/modules/ledger/check-cli.js');
    expect(await check.exited, check.output()).toBe(0);
    expect(check.output()).toContain('All invariants hold.');
    const admin = node('dist/modules/accounts/admin-cli.js', ['--email', 'root@example.test']);
    expect(await admin.exited, admin.output()).toBe(0);
    expect(admin.output()).toContain('Created the administrator root@example.test');
    const migrate = node('dist/platform/db/migrate-cli.js');
    expect(await migrate.exited, migrate.output()).toBe(0);
  }, 300_000);
});
