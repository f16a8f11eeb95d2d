import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OutboundRequestError,
  UnsafeUrlError,
  assertSafeWebhookUrl,
  createPinnedLookup,
  isAddressAllowed,
  resolveSafeAddresses,
  safeFetch,
} from './outbound-url.js';
import type { LookupAll } from './outbound-url.js';

const strict = { allowPrivate: false, requireHttps: true };
const strictHttp = { allowPrivate: false, requireHttps: false };
const local = { allowPrivate: true, requireHttps: false };

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof UnsafeUrlError) return error.reason;
    throw error;
  }
  return undefined;
}

function fakeLookup(table: Record<string, string[]>): LookupAll & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const entries = table[hostname];
    if (!entries) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return entries.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(fn, { calls });
}

describe('assertSafeWebhookUrl', () => {
  it('accepts an ordinary https URL with a port, path and query', () => {
    const url = assertSafeWebhookUrl('https://hooks.example.com:8443/namaskah?x=1', strict);
    expect(url.hostname).toBe('hooks.example.com');
    expect(url.port).toBe('8443');
  });

  it('accepts a public IPv4 and IPv6 literal', () => {
    expect(() => assertSafeWebhookUrl('https://93.184.216.34/hook', strict)).not.toThrow();
    expect(() =>
      assertSafeWebhookUrl('https://[2606:2800:220:1:248:1893:25c8:1946]/hook', strict),
    ).not.toThrow();
  });

  it.each([
    ['not a url', 'invalid_url'],
    ['ftp://example.com/x', 'scheme_not_allowed'],
    ['file:///etc/passwd', 'scheme_not_allowed'],
    ['javascript:alert(1)', 'scheme_not_allowed'],
    ['gopher://example.com:70/_x', 'scheme_not_allowed'],
    ['http://example.com/hook', 'https_required'],
    ['https://user:pass@example.com/hook', 'credentials_in_url'],
    ['https://user@example.com/hook', 'credentials_in_url'],
  ])('refuses %s (%s)', (url, reason) => {
    expect(reasonOf(() => assertSafeWebhookUrl(url, strict))).toBe(reason);
  });

  it('allows http when https is not required', () => {
    expect(() => assertSafeWebhookUrl('http://example.com/hook', strictHttp)).not.toThrow();
  });

  it.each([
    'http://127.0.0.1/',
    'http://127.1/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0x7f.0.0.1/',
    'http://0177.0.0.1/',
    'http://017700000001/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:0:7f00:1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://[2002:7f00:1::]/',
    'http://[::127.0.0.1]/',
    'http://0.0.0.0/',
    'http://0/',
    'http://10.0.0.5/',
    'http://172.16.3.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://[fc00::1]/',
    'http://[fd12:3456::1]/',
    'http://[fe80::1]/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    'http://192.0.2.10/',
    'http://198.18.0.1/',
    'http://[::ffff:10.0.0.1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://localhost/',
    'http://api.localhost/',
    'http://LOCALHOST./',
  ])('refuses the non-public host of %s', (url) => {
    expect(reasonOf(() => assertSafeWebhookUrl(url, strictHttp))).toBe('address_not_allowed');
  });

  it('allows private targets when allowPrivate is set, but never metadata, unspecified or multicast', () => {
    expect(() => assertSafeWebhookUrl('http://127.0.0.1:3000/hook', local)).not.toThrow();
    expect(() => assertSafeWebhookUrl('http://10.1.2.3/hook', local)).not.toThrow();
    expect(() => assertSafeWebhookUrl('http://localhost:3000/hook', local)).not.toThrow();
    expect(reasonOf(() => assertSafeWebhookUrl('http://169.254.169.254/', local))).toBe(
      'address_not_allowed',
    );
    expect(reasonOf(() => assertSafeWebhookUrl('http://[::ffff:169.254.169.254]/', local))).toBe(
      'address_not_allowed',
    );
    expect(reasonOf(() => assertSafeWebhookUrl('http://0.0.0.0/', local))).toBe('address_not_allowed');
    expect(reasonOf(() => assertSafeWebhookUrl('http://224.0.0.1/', local))).toBe('address_not_allowed');
  });

  it('is an AppError with status 400 and code unsafe_url', () => {
    try {
      assertSafeWebhookUrl('http://127.0.0.1/', strict);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UnsafeUrlError);
      expect((error as UnsafeUrlError).status).toBe(400);
      expect((error as UnsafeUrlError).code).toBe('unsafe_url');
    }
  });
});

describe('isAddressAllowed', () => {
  it('classifies single addresses', () => {
    expect(isAddressAllowed('8.8.8.8', { allowPrivate: false })).toBe(true);
    expect(isAddressAllowed('2001:4860:4860::8888', { allowPrivate: false })).toBe(true);
    expect(isAddressAllowed('127.0.0.1', { allowPrivate: false })).toBe(false);
    expect(isAddressAllowed('::ffff:192.168.0.1', { allowPrivate: false })).toBe(false);
    expect(isAddressAllowed('fe80::1%eth0', { allowPrivate: false })).toBe(false);
    expect(isAddressAllowed('not-an-ip', { allowPrivate: false })).toBe(false);
  });
});

describe('resolveSafeAddresses', () => {
  it('returns every address when all are public', async () => {
    const lookup = fakeLookup({
      'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    });
    await expect(resolveSafeAddresses('hooks.example.com', strict, lookup)).resolves.toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
  });

  it('refuses the host when any one address is private', async () => {
    const lookup = fakeLookup({ 'mixed.example.com': ['93.184.216.34', '10.0.0.7'] });
    await expect(resolveSafeAddresses('mixed.example.com', strict, lookup)).rejects.toMatchObject({
      reason: 'address_not_allowed',
    });
  });

  it.each(['127.0.0.1', '::1', '::ffff:127.0.0.1', '169.254.169.254', '100.64.1.1', 'fd00::1', '0.0.0.0'])(
    'refuses a name resolving to %s',
    async (address) => {
      const lookup = fakeLookup({ 'evil.example.com': [address] });
      await expect(resolveSafeAddresses('evil.example.com', strict, lookup)).rejects.toBeInstanceOf(
        UnsafeUrlError,
      );
    },
  );

  it('checks IP literals without a lookup, including bracketed IPv6 and numeric forms', async () => {
    const lookup = fakeLookup({});
    await expect(resolveSafeAddresses('[::ffff:127.0.0.1]', strict, lookup)).rejects.toMatchObject({
      reason: 'address_not_allowed',
    });
    await expect(resolveSafeAddresses('2130706433', strict, lookup)).rejects.toMatchObject({
      reason: 'address_not_allowed',
    });
    await expect(resolveSafeAddresses('0x7f000001', strict, lookup)).rejects.toMatchObject({
      reason: 'address_not_allowed',
    });
    await expect(resolveSafeAddresses('8.8.8.8', strict, lookup)).resolves.toEqual([
      { address: '8.8.8.8', family: 4 },
    ]);
    expect(lookup.calls).toEqual([]);
  });

  it('reports unresolvable names and empty answers', async () => {
    await expect(resolveSafeAddresses('nope.example.com', strict, fakeLookup({}))).rejects.toMatchObject({
      reason: 'unresolvable',
    });
    await expect(
      resolveSafeAddresses('empty.example.com', strict, fakeLookup({ 'empty.example.com': [] })),
    ).rejects.toMatchObject({ reason: 'unresolvable' });
  });

  it('allows private answers only with allowPrivate', async () => {
    const lookup = fakeLookup({ 'dev.example.com': ['127.0.0.1'] });
    await expect(resolveSafeAddresses('dev.example.com', local, lookup)).resolves.toEqual([
      { address: '127.0.0.1', family: 4 },
    ]);
  });
});

describe('createPinnedLookup', () => {
  const pinned = createPinnedLookup([
    { address: '93.184.216.34', family: 4 },
    { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
  ]);

  const call = (options: object) =>
    new Promise<{ err: unknown; address: unknown; family: unknown }>((resolve) => {
      pinned('anything.example.com', options, (err, address, family) => resolve({ err, address, family }));
    });

  it('answers single lookups with the first checked address, whatever the name', async () => {
    await expect(call({})).resolves.toEqual({ err: null, address: '93.184.216.34', family: 4 });
  });

  it('answers all-lookups with every checked address', async () => {
    const { address } = await call({ all: true });
    expect(address).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
  });

  it('honours a requested family and fails when none matches', async () => {
    await expect(call({ family: 6 })).resolves.toMatchObject({
      address: '2606:2800:220:1:248:1893:25c8:1946',
      family: 6,
    });
    const v4only = createPinnedLookup([{ address: '93.184.216.34', family: 4 }]);
    const err = await new Promise((resolve) => v4only('x', { family: 6 }, (e) => resolve(e)));
    expect(err).toMatchObject({ code: 'ENOTFOUND' });
  });

  it('refuses to be built without addresses', () => {
    expect(() => createPinnedLookup([])).toThrow();
  });
});

describe('safeFetch against a local server', () => {
  let server: http.Server;
  let base: string;
  let port: number;
  const seen: Array<{
    method?: string;
    url?: string;
    host?: string;
    body: string;
    headers: http.IncomingHttpHeaders;
  }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, host: req.headers.host, body, headers: req.headers });
        if (req.url === '/redirect') {
          res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
          res.end();
        } else if (req.url === '/big') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('x'.repeat(200_000));
        } else if (req.url === '/slow') {
          setTimeout(() => {
            if (!res.destroyed) res.end('late');
          }, 2_000);
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: true }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers a POST with headers and body when private targets are allowed', async () => {
    const result = await safeFetch(`${base}/hook?x=1`, {
      ...local,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'namaskah-signature': 't=1,v1=abc' },
      body: '{"id":"evt_1"}',
      timeoutMs: 2_000,
      maxResponseBytes: 1024,
    });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ ok: true });
    expect(result.truncated).toBe(false);
    expect(result.remoteAddress).toBe('127.0.0.1');
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ method: 'POST', url: '/hook?x=1', body: '{"id":"evt_1"}' });
    expect(last.headers['namaskah-signature']).toBe('t=1,v1=abc');
  });

  it('refuses 127.0.0.1 without allowPrivate, before connecting', async () => {
    const before = seen.length;
    await expect(safeFetch(`${base}/hook`, { ...strictHttp, timeoutMs: 1_000 })).rejects.toMatchObject({
      reason: 'address_not_allowed',
    });
    expect(seen.length).toBe(before);
  });

  it('refuses a name that resolves to loopback without allowPrivate (no connection made)', async () => {
    const before = seen.length;
    const lookup = fakeLookup({ 'rebind.example.test': ['127.0.0.1'] });
    await expect(
      safeFetch(`http://rebind.example.test:${port}/hook`, { ...strictHttp, lookup, timeoutMs: 1_000 }),
    ).rejects.toBeInstanceOf(UnsafeUrlError);
    expect(seen.length).toBe(before);
  });

  it('connects to the checked address only: one lookup, pinned for the connection', async () => {
    let calls = 0;
    // A rebinding resolver: the first answer is what gets checked; any later answer would differ.
    const lookup: LookupAll = async () => {
      calls += 1;
      return calls === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.9.9.9', family: 4 }];
    };
    const result = await safeFetch(`http://hooks.example.test:${port}/pinned`, {
      ...local,
      lookup,
      timeoutMs: 2_000,
    });
    expect(result.status).toBe(200);
    expect(calls).toBe(1);
    expect(seen.at(-1)).toMatchObject({ url: '/pinned', host: `hooks.example.test:${port}` });
  });

  it('returns a redirect as the result and does not follow it', async () => {
    const before = seen.length;
    const result = await safeFetch(`${base}/redirect`, {
      ...local,
      method: 'POST',
      body: '{}',
      timeoutMs: 2_000,
    });
    expect(result.status).toBe(302);
    expect(result.headers.location).toBe('http://169.254.169.254/latest/meta-data/');
    expect(seen.length).toBe(before + 1);
  });

  it('caps the response body', async () => {
    const result = await safeFetch(`${base}/big`, {
      ...local,
      method: 'GET',
      maxResponseBytes: 1000,
      timeoutMs: 2_000,
    });
    expect(result.status).toBe(200);
    expect(result.truncated).toBe(true);
    expect(result.body.length).toBe(1000);
  });

  it('times out a slow endpoint', async () => {
    const started = Date.now();
    const error = await safeFetch(`${base}/slow`, { ...local, method: 'GET', timeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutboundRequestError);
    expect((error as OutboundRequestError).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('reports a refused connection as a network error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await safeFetch(`http://127.0.0.1:${closedPort}/`, { ...local, timeoutMs: 2_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutboundRequestError);
    expect((error as OutboundRequestError).kind).toBe('network');
  });

  it('refuses http when https is required, even with allowPrivate', async () => {
    await expect(safeFetch(`${base}/hook`, { allowPrivate: true, requireHttps: true })).rejects.toMatchObject(
      {
        reason: 'https_required',
      },
    );
  });
});
