/** Inspection (inspection.ts): what passes, secret fields, locations, and the bounds on the work. */
import { describe, expect, it } from 'vitest';
import { inspect, inspectBody, inspectHeaders, inspectPath, inspectQuery } from './inspection.js';

/** CPU time since `started`: what the inspection cost, however busy the machine is. */
const cpuMs = (started: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
};

const browserHeaders = {
  host: 'namaskah.example',
  'user-agent':
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.9,fr;q=0.8',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
  'sec-ch-ua-platform': '"Windows"',
  'content-type': 'application/json; charset=utf-8',
  referer: 'https://namaskah.example/app/verifications?status=active&page=2',
  'idempotency-key': '6f1c2b7e-3a1d-4f7e-9c1a-2b3c4d5e6f70',
  'x-request-id': 'req-1',
};

describe('legitimate input passes', () => {
  const strings = [
    "O'Brien",
    "D'Angelo",
    "Seán O'Neill-D'Arcy",
    "Code <123456> & don't share",
    'Your code is 123456. Do not share it with anyone & keep it safe.',
    'user.name+tag@example.co.uk',
    'https://example.com/search?q=sms+verification&page=2&sort=desc',
    'https://hooks.example.com/namaskah?token=abc&x=1#frag',
    'Select your plan',
    "I'd like to drop by",
    'Please select the best option from the list and update me',
    "Don't drop the table, it's my grandmother's",
    'whatsapp',
    'google voice',
    'Telegram / Signal / WhatsApp',
    'C++ & C# developers',
    'AT&T',
    'Q&A',
    'Tom & Jerry; the cat & the mouse',
    'dogs | cats | birds',
    'rock & roll -- forever',
    '50% off; today only!',
    'Price: $25.00 (USD)',
    'Die Straße, São Paulo, Zürich, Łódź, 東京, Москва, القاهرة, मुंबई',
    '😀 emoji 👍🏽',
    '# Heading\n\n**Bold** and _italic_ text, a [link](https://example.com/docs?a=1&b=2), `inline code`, and\n\n```\nnpm install\n```\n- item one\n- item two\n\n> quote',
    'Email me at a.b@c.io or call +1 (555) 123-4567',
    "It's 5 o'clock; let's go",
    'Union Station at 5pm, select seats from row 3',
    'or and = < >',
    '1 + 1 = 2',
    'The onion = delicious',
    'Sleep (8 hours) is important',
    'see ../README.md',
    'JavaScript is great',
    'Order #12345 — "express" shipping',
    'SELECT',
    'drop',
    '--',
    '/* a comment */',
    'semi; colon',
    'ids: 1, 2, 3',
    'Meet me at the cafe; ping me when you arrive',
    'alert level: high',
    'Set up alert(s) for new numbers',
    'Please confirm(yes/no)',
  ];

  it.each(strings)('passes %j in a body string', (value) => {
    expect(inspectBody({ note: value })).toBeNull();
  });

  it.each(['whatsapp', 'google voice', 'United States', "O'Reilly", 'q&a', 'a+b', '50%'])(
    'passes the search %j in the query',
    (q) => {
      expect(inspectQuery(`q=${encodeURIComponent(q)}&country=US&limit=20`)).toBeNull();
      expect(inspectQuery({ q, country: 'US' })).toBeNull();
    },
  );

  it('passes passwords with symbols and other secrets, at any depth', () => {
    const body = {
      email: "o'brien@example.com",
      password: "P@ss'; --<word>&1",
      currentPassword: "' OR 1=1--",
      newPassword: '<script>alert(1)</script>',
      new_password: '$(id)',
      captcha: 'eyJhbGdvcml0aG0iOiJTSEEtMjU2In0=; DROP TABLE x',
      otp: "'; --",
      nested: { refreshToken: "' UNION SELECT 1--", webhookSecret: '../../etc/passwd', apiKey: '`id`' },
    };
    expect(inspectBody(body)).toBeNull();
  });

  it('passes extra skip fields given by the caller', () => {
    expect(inspectBody({ recoveryPhrase: "' OR 1=1--" })).not.toBeNull();
    expect(inspectBody({ recoveryPhrase: "' OR 1=1--" }, { skipFields: ['recoveryPhrase'] })).toBeNull();
  });

  it('passes nested JSON objects and arrays of ordinary data', () => {
    const body = {
      service: 'whatsapp',
      country: 'US',
      capability: 'sms',
      areaCodes: ['212', '646'],
      maxPrice: { amount: 150, currency: 'USD' },
      metadata: {
        customer: {
          name: "D'Angelo",
          tags: ['vip', 'beta'],
          address: { line1: '1 Main St.', city: 'São Paulo' },
        },
      },
      flags: [true, false, null, 3.14],
    };
    expect(inspectBody(body)).toBeNull();
  });

  it('passes an ordinary browser request', () => {
    expect(
      inspect({
        path: '/api/v1/verifications/0f6b5a1e-3c2d-4b1a-9e8f-7d6c5b4a3f21',
        query: 'status=active&cursor=eyJpZCI6MTIzfQ%3D%3D&limit=20',
        headers: browserHeaders,
        body: { service: 'google', country: 'GB' },
      }),
    ).toBeNull();
  });

  it.each([
    '/',
    '/app/verifications',
    '/api/v1/catalog/services',
    '/api/v1/auth/login',
    '/assets/index-4f3a2b1c.js',
    '/.well-known/security.txt',
    '/api/docs/static/swagger-ui.css',
    '/api/v1/catalog/services/google%20voice',
    '/api/v1/wallet/topups/callback',
  ])('passes the path %s', (path) => {
    expect(inspectPath(path)).toBeNull();
  });

  it('ignores cookies and authorization headers', () => {
    expect(
      inspectHeaders({
        cookie: "session=' OR 1=1--; csrf=<script>",
        authorization: 'Bearer $(id)',
        'user-agent': 'curl/8.5.0',
      }),
    ).toBeNull();
  });
});

describe('locations and limits', () => {
  it('reports where in a nested body it matched, without the value', () => {
    const match = inspectBody({ profile: { links: ['https://ok.example', 'javascript:alert(1)'] } });
    expect(match).toEqual({ rule: 'xss.javascript_uri', location: 'body.profile.links[1]' });
  });

  it('inspects object keys too and sanitises them in the location', () => {
    const match = inspectBody({ "' OR 1=1--": 'x' });
    expect(match?.rule).toBe('sqli.tautology');
    expect(match?.location).toBe('body.__OR_1_1--');
  });

  it('reports header locations', () => {
    expect(inspectHeaders({ referer: 'https://x.example/?q=<script>alert(1)</script>' })).toEqual({
      rule: 'xss.script_tag',
      location: 'header.referer',
    });
  });

  it('stops at the depth bound instead of recursing without end', () => {
    let deep: unknown = "' OR 1=1--";
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(inspectBody(deep)).toBeNull();
  });

  it('finishes quickly on large hostile values', () => {
    const hostile = [
      '%'.repeat(20_000),
      '%25'.repeat(10_000),
      "'".repeat(20_000) + ' or',
      '<'.repeat(20_000),
      '<a '.repeat(10_000),
      '; '.repeat(10_000),
      '/*'.repeat(10_000),
      '&#'.repeat(10_000),
      'union '.repeat(5_000),
      '../'.repeat(10_000).slice(1),
    ];
    for (const value of hostile) {
      const started = process.cpuUsage();
      inspect({ path: '/', query: { q: value }, headers: {}, body: { note: value } });
      expect(cpuMs(started)).toBeLessThan(500);
    }
  });

  it('bounds the work on huge bodies', () => {
    const body = { items: Array.from({ length: 50_000 }, (_, i) => `item ${i}`) };
    const started = process.cpuUsage();
    expect(inspectBody(body)).toBeNull();
    expect(cpuMs(started)).toBeLessThan(500);
  });
});
