import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createPaystackClient } from './client.js';
import { usePaystackSandbox, SECRET, sandbox, client, newReference, caught } from './client.suite.js';

usePaystackSandbox();

describe('Paystack client against the sandbox', () => {
  it('retries verify on 500 and then succeeds', async () => {
    const paystack = client();
    const reference = newReference();
    await paystack.initializeTransaction({
      email: 'd@example.com',
      amountMinor: 2500,
      currency: 'KES',
      reference,
      callbackUrl: 'https://app.example/return',
    });
    sandbox.control.failNext({
      path: `/transaction/verify/${reference}`,
      times: 2,
      mode: 'error',
      status: 500,
    });
    const verified = await paystack.verifyTransaction(reference);
    expect(verified.status).toBe('abandoned');
    const seen = sandbox.control.requests({ path: `/transaction/verify/${reference}` });
    expect(seen.map((r) => r.fault)).toEqual(['error', 'error', null]);
  });

  it('retries verify after a refused connection and a timeout', async () => {
    const paystack = client({ timeoutMs: 150 });
    const reference = newReference();
    await paystack.initializeTransaction({
      email: 'e@example.com',
      amountMinor: 2500,
      currency: 'ZAR',
      reference,
      callbackUrl: 'https://app.example/return',
    });
    sandbox.control.failNext({ path: `/transaction/verify/${reference}`, mode: 'refuse' });
    sandbox.control.failNext({ path: `/transaction/verify/${reference}`, mode: 'hang', hangMs: 1000 });
    const verified = await paystack.verifyTransaction(reference);
    expect(verified.reference).toBe(reference);
    const seen = sandbox.control.requests({ path: `/transaction/verify/${reference}` });
    expect(seen.map((r) => r.fault)).toEqual(['refuse', 'hang', null]);
  });

  it('gives up on verify after the configured retries with a server_error', async () => {
    const paystack = client({ retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 2 } });
    sandbox.control.failNext({
      path: '/transaction/verify/always-down',
      times: 10,
      mode: 'error',
      status: 502,
    });
    const error = await caught(paystack.verifyTransaction('always-down'));
    expect(error.kind).toBe('server_error');
    expect(error.status).toBe(502);
    expect(error.ambiguous).toBe(false);
    expect(sandbox.control.requests({ path: '/transaction/verify/always-down' })).toHaveLength(3);
  });

  it('does NOT retry initialize on 500, and the error is ambiguous', async () => {
    const paystack = client();
    const reference = newReference();
    const before = sandbox.control.requests({ path: '/transaction/initialize' }).length;
    sandbox.control.failNext({ path: '/transaction/initialize', times: 5, mode: 'error', status: 500 });
    const error = await caught(
      paystack.initializeTransaction({
        email: 'f@example.com',
        amountMinor: 1000,
        currency: 'NGN',
        reference,
        callbackUrl: 'https://app.example/return',
      }),
    );
    expect(error.kind).toBe('server_error');
    expect(error.ambiguous).toBe(true);
    expect(sandbox.control.requests({ path: '/transaction/initialize' }).length - before).toBe(1);
  });

  it('an initialize that times out is ambiguous: it did take effect, and re-initializing says duplicate', async () => {
    const paystack = client({ timeoutMs: 100 });
    const reference = newReference();
    const before = sandbox.control.requests({ path: '/transaction/initialize' }).length;
    sandbox.control.failNext({ path: '/transaction/initialize', mode: 'hang', hangMs: 300 });
    const input = {
      email: 'g@example.com',
      amountMinor: 1000,
      currency: 'NGN' as const,
      reference,
      callbackUrl: 'https://app.example/return',
    };
    const error = await caught(paystack.initializeTransaction(input));
    expect(error.kind).toBe('timeout');
    expect(error.ambiguous).toBe(true);
    expect(sandbox.control.requests({ path: '/transaction/initialize' }).length - before).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await paystack.verifyTransaction(reference)).status).toBe('abandoned');
    expect((await caught(paystack.initializeTransaction(input))).kind).toBe('duplicate_reference');
  });

  it('a refused connection on initialize is a network error, ambiguous', async () => {
    sandbox.control.failNext({ path: '/transaction/initialize', mode: 'refuse' });
    const error = await caught(
      client().initializeTransaction({
        email: 'h@example.com',
        amountMinor: 1000,
        currency: 'NGN',
        reference: newReference(),
        callbackUrl: 'https://app.example/return',
      }),
    );
    expect(error.kind).toBe('network');
    expect(error.ambiguous).toBe(true);
  });

  it('nothing listening is a network error that is not ambiguous', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const error = await caught(
      createPaystackClient({
        baseUrl: `http://127.0.0.1:${closedPort}`,
        secretKey: SECRET,
      }).initializeTransaction({
        email: 'i@example.com',
        amountMinor: 1000,
        currency: 'NGN',
        reference: newReference(),
        callbackUrl: 'https://app.example/return',
      }),
    );
    expect(error.kind).toBe('network');
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.ambiguous).toBe(false);
  });

  it('opens the circuit after consecutive upstream faults and refuses without sending', async () => {
    const paystack = client({
      retry: { maxRetries: 0 },
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 },
    });
    sandbox.control.setOutage(true);
    try {
      expect((await caught(paystack.verifyTransaction('x1'))).status).toBe(503);
      expect((await caught(paystack.verifyTransaction('x2'))).kind).toBe('server_error');
      const before = sandbox.control.requests().length;
      const open = await caught(paystack.verifyTransaction('x3'));
      expect(open.circuitOpen).toBe(true);
      expect(open.ambiguous).toBe(false);
      expect(sandbox.control.requests().length).toBe(before);
    } finally {
      sandbox.control.setOutage(false);
    }
  });
});
