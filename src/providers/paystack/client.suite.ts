// Shared setup of the Paystack client tests (client.*.test.ts): a sandbox and a webhook receiver per file.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startPaystackSandbox, type PaystackSandbox } from '../../sandbox/paystack/index.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../sandbox/paystack/testing.js';
import { createPaystackClient, type PaystackClientOptions } from './client.js';
import { PaystackError } from './errors.js';

export const SECRET = 'sk_test_client_suite_0123456789';
export let sandbox: PaystackSandbox;
export let receiver: WebhookReceiver;

export const client = (overrides: Partial<PaystackClientOptions> = {}) =>
  createPaystackClient({
    baseUrl: sandbox.url,
    secretKey: SECRET,
    timeoutMs: 2000,
    retry: { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 20 },
    ...overrides,
  });

let seq = 0;
export const newReference = () => `top-up.${Date.now()}.${++seq}`;

export async function caught(promise: Promise<unknown>): Promise<PaystackError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PaystackError);
    return error as PaystackError;
  }
  throw new Error('expected the call to fail');
}

export function formActions(html: string, pageUrl: string): string[] {
  return [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) =>
    new URL(m[1] ?? '', pageUrl).toString(),
  );
}

/** The file's sandbox and webhook receiver: call once at the top of each test file. */
export function usePaystackSandbox(): void {
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sandbox = await startPaystackSandbox({
      secretKey: SECRET,
      webhookUrl: receiver.url,
      webhookRetryDelaysMs: [10, 20],
    });
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });
  afterEach(() => sandbox.control.clearFaults());
}
