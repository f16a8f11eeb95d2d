/* eslint-disable security/detect-non-literal-fs-filename -- paths come from mkdtemp in these tests */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { AppError } from '../errors.js';

let db: TestDatabase;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  db = await createPostgresTestDatabase(4);
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});
afterAll(async () => {
  await db.dispose();
});

let lastOctet = 0;
const nextIp = () => `198.51.100.${++lastOctet}`;

async function buildApp(env: Record<string, string> = {}) {
  const app = await createTestApp({ database: db.database, env });
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.post(
    '/api/v1/widgets',
    {
      schema: {
        summary: 'Create a widget',
        body: z.object({ name: z.string().min(1).max(100), note: z.string().max(500).optional() }),
        response: { 201: z.object({ id: z.string(), name: z.string() }) },
      },
    },
    async (request, reply) => reply.code(201).send({ id: 'w_1', name: request.body.name }),
  );
  typed.get(
    '/api/v1/widgets/search',
    { schema: { querystring: z.object({ q: z.string() }) } },
    async (request) => ({
      q: request.query.q,
    }),
  );
  app.get('/api/v1/boom', async () => {
    throw new Error('kaboom');
  });
  app.get('/api/v1/refused', async () => {
    throw new AppError(409, 'not_cancelable', 'No.');
  });
  app.post('/api/v1/hooks/test', async () => ({ received: true }));
  await app.ready();
  apps.push(app);
  return app;
}

const EXPECTED_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'cross-origin-opener-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

describe('security headers (SPEC §5)', () => {
  it('are on every response: JSON, 404, errors, health, docs, WAF and rate-limit refusals', async () => {
    const app = await buildApp({ RATE_LIMIT_GLOBAL_PER_MINUTE: '50' });
    const ip = nextIp();
    const limited = nextIp();
    for (let i = 0; i < 50; i++)
      await app.inject({ url: '/healthz?x', remoteAddress: limited, method: 'GET' });
    for (let i = 0; i < 50; i++) await app.inject({ url: '/api/v1/nothing', remoteAddress: limited });
    const cases = [
      {
        name: 'JSON route',
        request: { method: 'POST' as const, url: '/api/v1/widgets', payload: { name: 'a' } },
        status: 201,
      },
      { name: '404', request: { url: '/api/v1/nothing' }, status: 404 },
      {
        name: 'validation error',
        request: { method: 'POST' as const, url: '/api/v1/widgets', payload: {} },
        status: 400,
      },
      {
        name: 'bad JSON',
        request: {
          method: 'POST' as const,
          url: '/api/v1/widgets',
          payload: '{',
          headers: { 'content-type': 'application/json' },
        },
        status: 400,
      },
      { name: 'app error', request: { url: '/api/v1/refused' }, status: 409 },
      { name: 'internal error', request: { url: '/api/v1/boom' }, status: 500 },
      { name: 'healthz', request: { url: '/healthz' }, status: 200 },
      { name: 'docs page', request: { url: '/api/docs' }, status: 200 },
      { name: 'docs asset', request: { url: '/api/docs/static/swagger-ui-bundle.js' }, status: 200 },
      { name: 'OpenAPI document', request: { url: '/api/openapi.json' }, status: 200 },
      {
        name: 'WAF refusal',
        request: { url: "/api/v1/widgets/search?q=1' UNION SELECT password FROM users--" },
        status: 403,
      },
      { name: 'rate-limit refusal', request: { url: '/api/v1/nothing' }, status: 429, ip: limited },
    ];
    for (const c of cases) {
      const response = await app.inject({ method: 'GET', remoteAddress: c.ip ?? ip, ...c.request });
      expect(response.statusCode, c.name).toBe(c.status);
      expect(response.headers, c.name).toMatchObject(EXPECTED_HEADERS);
      expect(response.headers['x-powered-by'], c.name).toBeUndefined();
      if (String(response.headers['content-type']).startsWith('application/json')) {
        expect(response.headers['cache-control'], c.name).toBe('no-store');
      }
    }
  });

  it('the docs page loads no inline script or style, so the strict CSP holds there too', async () => {
    const app = await buildApp();
    const page = await app.inject({ url: '/api/docs', remoteAddress: nextIp() });
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(page.body).not.toMatch(/<style/i);
    expect(page.body).not.toMatch(/\son\w+=/i);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset.startsWith('/api/docs/')).toBe(true); // self-hosted
      const response = await app.inject({ url: asset, remoteAddress: nextIp() });
      expect(response.statusCode, asset).toBe(200);
    }
    const init = await app.inject({
      url: '/api/docs/static/swagger-initializer.js',
      remoteAddress: nextIp(),
    });
    expect(init.statusCode).toBe(200);
    expect(init.body).toContain('SwaggerUIBundle');
    expect((await app.inject({ url: '/api/docs/json', remoteAddress: nextIp() })).json().openapi).toMatch(
      /^3\./,
    );
  });

  it('are on the 400 (431) of a request the HTTP parser refuses before Fastify sees it', async () => {
    const app = await buildApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const send = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(request));
        let answer = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (answer += chunk));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    const head = 'POST /api/v1/widgets HTTP/1.1\r\nHost: namaskah.test\r\nContent-Type: application/json\r\n';
    for (const [name, request, status = 400, code = 'bad_request'] of [
      ['non-numeric Content-Length', `${head}Content-Length: abc\r\n\r\n{}`],
      [
        'Content-Length and chunked together',
        `${head}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ],
      ['header name with a space', 'GET /healthz HTTP/1.1\r\nHost: namaskah.test\r\nBad Header: y\r\n\r\n'],
      ['not HTTP at all', 'HELLO\r\n\r\n'],
      ['a bad chunk size', `${head}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
      [
        'headers past the parser limit',
        `GET /healthz HTTP/1.1\r\nHost: namaskah.test\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        'headers_too_large',
      ],
    ] as const) {
      const answer = await send(request);
      const [top = '', body = ''] = answer.split('\r\n\r\n');
      const [statusLine = '', ...lines] = top.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      expect(statusLine, name).toBe(`HTTP/1.1 ${status} ${STATUS_CODES[status]}`);
      expect(headers, name).toMatchObject({
        ...EXPECTED_HEADERS,
        'cache-control': 'no-store',
        connection: 'close',
      });
      expect(headers['content-type'], name).toMatch(/^application\/json/);
      expect(JSON.parse(body), name).toEqual({ error: { code, message: expect.any(String) } });
    }
  });
});

describe('OpenAPI document', () => {
  it('lists routes added by modules after the app is built, from their zod schemas', async () => {
    const app = await buildApp();
    const response = await app.inject({ url: '/api/openapi.json', remoteAddress: nextIp() });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Namaskah API');
    const create = doc.paths['/api/v1/widgets'].post;
    expect(create.summary).toBe('Create a widget');
    const body = create.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['name']);
    expect(body.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 100 });
    expect(create.responses['201'].content['application/json'].schema.properties.id.type).toBe('string');
    const search = doc.paths['/api/v1/widgets/search'].get;
    expect(search.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'query', name: 'q', required: true })]),
    );
    // Operational and documentation routes stay out.
    for (const hidden of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/api/openapi.json',
      '/api/docs',
      '/api/docs/json',
    ]) {
      expect(doc.paths[hidden], hidden).toBeUndefined();
    }
  });
});

describe('WAF through the real app', () => {
  const attacks: Array<{ name: string; request: InjectOptions }> = [
    { name: 'SQL injection in query', request: { url: "/api/v1/widgets/search?q=1' OR '1'='1" } },
    { name: 'XSS in query', request: { url: '/api/v1/widgets/search?q=<script>alert(1)</script>' } },
    { name: 'traversal in path', request: { url: '/api/v1/widgets/..%2f..%2f..%2fetc%2fpasswd' } },
    {
      name: 'command injection in JSON',
      request: { method: 'POST', url: '/api/v1/widgets', payload: { name: 'x; cat /etc/passwd' } },
    },
    {
      name: 'XSS in JSON',
      request: {
        method: 'POST',
        url: '/api/v1/widgets',
        payload: { name: 'a', note: '<img src=x onerror=alert(1)>' },
      },
    },
  ];

  it('block mode answers 403 request_blocked, without echoing the input', async () => {
    const app = await buildApp({ WAF_MODE: 'block' });
    for (const attack of attacks) {
      const response = await app.inject({ remoteAddress: nextIp(), ...attack.request });
      expect(response.statusCode, attack.name).toBe(403);
      expect(response.json(), attack.name).toEqual({
        error: { code: 'request_blocked', message: 'The request was blocked by the application firewall.' },
      });
    }
  });

  it('monitor mode lets the same requests through', async () => {
    const app = await buildApp({ WAF_MODE: 'monitor' });
    for (const attack of attacks) {
      const response = await app.inject({ remoteAddress: nextIp(), ...attack.request });
      expect(response.statusCode, attack.name).not.toBe(403);
      expect(response.statusCode, attack.name).toBeLessThan(500);
    }
  });

  it('legitimate input passes in block mode; provider webhook bodies are not inspected', async () => {
    const app = await buildApp({ WAF_MODE: 'block' });
    const ip = nextIp();
    const names = [
      "O'Brien",
      "Seán O'Neill-D'Arcy",
      'AT&T',
      'C++ & C# developers',
      'Die Straße, São Paulo, 東京',
    ];
    for (const name of names) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/widgets',
        remoteAddress: ip,
        payload: { name, note: "Code <123456> & don't share" },
      });
      expect(response.statusCode, name).toBe(201);
    }
    const passwordLike = await app.inject({
      method: 'POST',
      url: '/api/v1/widgets',
      remoteAddress: ip,
      payload: { name: 'x', password: "p@ss' OR 1=1-- <script>" },
    });
    expect(passwordLike.statusCode).toBe(201);
    const search = await app.inject({
      url: `/api/v1/widgets/search?q=${encodeURIComponent('Tom & Jerry; the cat & the mouse')}`,
      remoteAddress: ip,
    });
    expect(search.statusCode).toBe(200);
    const hook = await app.inject({
      method: 'POST',
      url: '/api/v1/hooks/test',
      remoteAddress: ip,
      payload: { sms: "Your code is 123456 <script>alert('x')</script>; DROP TABLE users" },
    });
    expect(hook.statusCode).toBe(200);
  });

  it('refuses blocklisted addresses and re-reads the blocklist file on reload', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'namaskah-waf-'));
    try {
      const file = path.join(dir, 'blocklist.txt');
      await writeFile(file, '# test list\n192.0.2.0/28\n');
      const app = await buildApp({ WAF_BLOCKLIST_FILE: file });
      expect((await app.inject({ url: '/healthz', remoteAddress: '192.0.2.5' })).statusCode).toBe(403);
      expect((await app.inject({ url: '/healthz', remoteAddress: '192.0.2.77' })).statusCode).toBe(200);
      await writeFile(file, '192.0.2.77\n');
      await app.waf.reloadBlocklist();
      expect((await app.inject({ url: '/healthz', remoteAddress: '192.0.2.77' })).statusCode).toBe(403);
      expect((await app.inject({ url: '/healthz', remoteAddress: '192.0.2.5' })).statusCode).toBe(200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
