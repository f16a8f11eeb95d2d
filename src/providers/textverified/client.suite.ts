// Shared setup of the TextVerified client tests (client.*.test.ts): the real client against a
// started TextVerified sandbox, end to end over HTTP.
import { afterEach, expect } from 'vitest';
import {
  startTextVerifiedSandbox,
  type TextVerifiedSandbox,
  type TextVerifiedSandboxOptions,
} from '../../sandbox/textverified/index.js';
import {
  createTextVerifiedClient,
  type TextVerifiedClient,
  type TextVerifiedClientOptions,
} from './client.js';
import { TextVerifiedError } from './errors.js';

export const API_KEY = 'tv_test_key';
export const USERNAME = 'ops@namaskah.test';
export const SECRET = 'whsec_sandbox_secret';

export const open: Array<{ close: () => Promise<void> | void }> = [];

export async function setup(
  sandboxOpts: Partial<TextVerifiedSandboxOptions> = {},
  clientOpts: Partial<TextVerifiedClientOptions> = {},
): Promise<{ sandbox: TextVerifiedSandbox; client: TextVerifiedClient }> {
  const sandbox = await startTextVerifiedSandbox({
    apiKey: API_KEY,
    username: USERNAME,
    webhookSecret: SECRET,
    smsDelayMs: 60_000, // tests deliver SMS through the control API unless they say otherwise
    ...sandboxOpts,
  });
  open.push(sandbox);
  const client = createTextVerifiedClient({
    baseUrl: sandbox.url,
    apiKey: API_KEY,
    username: USERNAME,
    timeoutMs: 2_000,
    retry: { retries: 3, initialDelayMs: 5, maxDelayMs: 20 },
    ...clientOpts,
  });
  return { sandbox, client };
}

export const count = (sandbox: TextVerifiedSandbox, method: string, path: string) =>
  sandbox.control.requests().filter((r) => r.method === method && r.path === path).length;

export async function caught(promise: Promise<unknown>): Promise<TextVerifiedError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TextVerifiedError);
    return error as TextVerifiedError;
  }
  throw new Error('expected a TextVerifiedError');
}

export async function waitFor<T>(fn: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const buy = (client: TextVerifiedClient, serviceName = 'whatsapp', key = `key-${Math.random()}`) =>
  client.createVerification({ serviceName, capability: 'sms' }, { idempotencyKey: key });

/** Closes what `setup` started after each test: call once at the top of each test file. */
export function useSandboxCleanup(): void {
  afterEach(async () => {
    while (open.length) await open.pop()?.close();
  });
}
