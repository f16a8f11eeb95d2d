/* eslint-disable security/detect-non-literal-fs-filename -- paths come from mkdtemp in these tests */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBanStore } from './bans.js';
import { registerWaf } from './plugin.js';
import type { WafOptions } from './plugin.js';

interface LogLine {
  level: 'warn' | 'info' | 'error';
  obj: unknown;
  msg?: string;
}

function captureLogger() {
  const lines: LogLine[] = [];
  const make = (level: LogLine['level']) => (obj: unknown, msg?: string) => {
    lines.push({ level, obj, msg });
  };
  return {
    lines,
    logger: {
      warn: make('warn'),
      info: make('info'),
      error: make('error'),
    } as unknown as WafOptions['logger'],
  };
}

const BLOCKED = {
  error: { code: 'request_blocked', message: 'The request was blocked by the application firewall.' },
};

async function buildApp(overrides: Partial<WafOptions> = {}) {
  const { lines, logger } = captureLogger();
  const app = Fastify();
  const waf = await registerWaf(app, {
    mode: 'block',
    banThreshold: 3,
    banWindowMs: 60_000,
    banDurationMs: 600_000,
    logger,
    ...overrides,
  });
  app.get('/api/v1/catalog/services', async (request) => ({ ok: true, query: request.query }));
  app.post('/api/v1/auth/login', async () => ({ ok: true }));
  app.post('/api/v1/hooks/textverified', async () => ({ ok: true }));
  await app.ready();
  return { app, waf, lines };
}

describe('registerWaf', () => {
  let app: FastifyInstance | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('lets clean requests through', async () => {
    const built = await buildApp();
    app = built.app;
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/catalog/services?q=google%20voice&country=US',
    });
    expect(res.statusCode).toBe(200);
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: "o'brien@example.com", password: "P@ss'; --<word>&1", captcha: 'abc' },
    });
    expect(login.statusCode).toBe(200);
  });

  it('blocks attacks in the query, path, headers and JSON body with a 403 that echoes nothing', async () => {
    const built = await buildApp({ banThreshold: 100 });
    app = built.app;
    const attempts = [
      app.inject({
        method: 'GET',
        url: '/api/v1/catalog/services?q=%27%20UNION%20SELECT%20password%20FROM%20users--',
      }),
      app.inject({ method: 'GET', url: '/.env' }),
      app.inject({ method: 'GET', url: '/static/..%2f..%2fetc%2fpasswd' }),
      app.inject({ method: 'GET', url: '/api/v1/catalog/services', headers: { 'user-agent': 'sqlmap/1.7' } }),
      app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: '<script>alert(1)</script>', password: 'x' },
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual(BLOCKED);
      expect(res.body).not.toMatch(/union|script|passwd|sqlmap/i);
    }
    const warnings = built.lines.filter((l) => l.level === 'warn');
    expect(warnings.map((w) => (w.obj as { waf: { rule: string } }).waf.rule)).toEqual(
      expect.arrayContaining([
        'sqli.union_select',
        'scanner.dotfile_probe',
        'scanner.user_agent',
        'xss.script_tag',
      ]),
    );
  });

  it('never logs secret fields or payload values', async () => {
    const built = await buildApp();
    app = built.app;
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: "x' OR 1=1--", password: 'hunter2-SECRET-VALUE' },
    });
    const logged = JSON.stringify(built.lines);
    expect(logged).toContain('sqli.tautology');
    expect(logged).toContain('body.email');
    expect(logged).not.toContain('hunter2-SECRET-VALUE');
    expect(logged).not.toContain('OR 1=1');
  });

  it('in monitor mode logs and lets the request pass, without banning', async () => {
    const built = await buildApp({ mode: 'monitor', banThreshold: 1 });
    app = built.app;
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/catalog/services?q=%3Cscript%3E' });
      expect(res.statusCode).toBe(200);
    }
    const body = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: '$(id)' } });
    expect(body.statusCode).toBe(200);
    const warnings = built.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(4);
    expect(warnings[0]!.obj).toMatchObject({
      waf: { rule: 'xss.script_tag', location: 'query.q', mode: 'monitor' },
    });
    expect(warnings[3]!.obj).toMatchObject({
      waf: { rule: 'command_injection.bare_command', location: 'body.email' },
    });
    expect(await built.waf.bans.isBanned('127.0.0.1')).toBe(false);
  });

  it('does not inspect bodies under skipBodyPaths', async () => {
    const built = await buildApp({ skipBodyPaths: ['/api/v1/hooks/'] });
    app = built.app;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/hooks/textverified',
      payload: { text: "Your code is 123456'; DROP TABLE users; --" },
    });
    expect(res.statusCode).toBe(200);
  });

  it('refuses addresses on the blocklist file (CIDR) and picks up changes on reload', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'waf-plugin-'));
    const file = path.join(dir, 'blocklist.txt');
    await writeFile(file, '# bad actors\n203.0.113.0/24\n');
    const built = await buildApp({ blocklistFile: file });
    app = built.app;
    const blocked = await app.inject({
      method: 'GET',
      url: '/api/v1/catalog/services',
      remoteAddress: '203.0.113.77',
    });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toEqual(BLOCKED);
    const other = await app.inject({
      method: 'GET',
      url: '/api/v1/catalog/services',
      remoteAddress: '198.51.100.5',
    });
    expect(other.statusCode).toBe(200);

    await writeFile(file, '198.51.100.0/28\n2001:db8::/32\n');
    await built.waf.reloadBlocklist();
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/catalog/services', remoteAddress: '203.0.113.77' }))
        .statusCode,
    ).toBe(200);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/catalog/services', remoteAddress: '198.51.100.5' }))
        .statusCode,
    ).toBe(403);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/catalog/services', remoteAddress: '2001:db8::5' }))
        .statusCode,
    ).toBe(403);
  });

  it('fails to register when the blocklist file is missing', async () => {
    const { logger } = captureLogger();
    const bare = Fastify();
    await expect(
      registerWaf(bare, {
        mode: 'block',
        blocklistFile: path.join(tmpdir(), 'does-not-exist', 'blocklist.txt'),
        banThreshold: 3,
        banWindowMs: 1_000,
        banDurationMs: 1_000,
        logger,
      }),
    ).rejects.toThrow();
    await bare.close();
  });

  it('bans an address after N blocked requests, even for clean requests, until the ban expires', async () => {
    let now = 5_000_000;
    const built = await buildApp({
      banThreshold: 3,
      banWindowMs: 60_000,
      banDurationMs: 300_000,
      banStore: new MemoryBanStore({ now: () => now }),
    });
    app = built.app;
    const attacker = '198.51.100.23';
    const clean = () =>
      app!.inject({ method: 'GET', url: '/api/v1/catalog/services?q=whatsapp', remoteAddress: attacker });
    const attack = () => app!.inject({ method: 'GET', url: '/wp-login.php', remoteAddress: attacker });

    expect((await attack()).statusCode).toBe(403);
    expect((await attack()).statusCode).toBe(403);
    expect((await clean()).statusCode).toBe(200);
    expect((await attack()).statusCode).toBe(403);
    const banned = await clean();
    expect(banned.statusCode).toBe(403);
    expect(banned.json()).toEqual(BLOCKED);
    // Another client is unaffected.
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/catalog/services', remoteAddress: '198.51.100.24' }))
        .statusCode,
    ).toBe(200);

    now += 300_001;
    expect((await clean()).statusCode).toBe(200);
  });
});
