// Shared setup of the Paystack sandbox tests (server.*.test.ts): a sandbox and a webhook receiver per file.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { startPaystackSandbox, type PaystackSandbox } from './server.js';
import { startWebhookReceiver, type WebhookReceiver } from './testing.js';

export const SECRET = 'sk_test_sandbox_suite';
export const auth = { authorization: `Bearer ${SECRET}` };
export let sandbox: PaystackSandbox;
export let receiver: WebhookReceiver;

export async function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = auth,
) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    json: (await response.json()) as Record<string, unknown> & { data?: Record<string, unknown> },
  };
}

export async function initialize(fields: Record<string, unknown> = {}) {
  const { status, json } = await api('POST', '/transaction/initialize', {
    email: 'pat@example.com',
    amount: 50_000,
    callback_url: 'https://app.example/return',
    ...fields,
  });
  expect(status).toBe(200);
  return json.data as { authorization_url: string; access_code: string; reference: string };
}

export const sign = (body: Buffer | string) => createHmac('sha512', SECRET).update(body).digest('hex');

/** The file's sandbox and webhook receiver: call once at the top of each test file. */
export function useSandbox(): void {
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
  beforeEach(() => {
    sandbox.control.reset();
    sandbox.control.setWebhookUrl(receiver.url);
  });
}
