/**
 * A local Paystack: same paths, bearer-key auth, `{status, message, data}` envelope, error
 * shapes and webhook signatures as https://api.paystack.co, plus a no-JavaScript checkout page
 * and a control API (`/_control/…`, or the in-process `control` object) for tests.
 *
 * This file wires the parts: store.ts (transactions, refunds), routes.ts (the API and checkout),
 * payments.ts (settling and refunding, with their events), control.ts (the test controls),
 * faults.ts (scripted trouble), webhooks.ts (signed deliveries with retries).
 */
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { Holds, pathOf } from '../faults.js';
import { createControl, registerControlRoutes, type PaystackSandboxControl } from './control.js';
import { installFaults } from './faults.js';
import { createPayments } from './payments.js';
import { registerApiRoutes, registerCheckoutRoutes, registerDisputeRoutes } from './routes.js';
import { PaystackSandboxStore } from './store.js';
import { WebhookDispatcher } from './webhooks.js';

export interface PaystackSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  secretKey: string;
  /** Where `charge.success` / `refund.*` / `charge.dispute.*` events are POSTed; none = events are recorded as skipped. */
  webhookUrl?: string;
  /** Base of `authorization_url` when the browser reaches the sandbox at another address. */
  publicUrl?: string;
  /** Delays before webhook retries; attempts = length + 1. Default [200, 1000, 5000]. */
  webhookRetryDelaysMs?: number[];
  /** Per-attempt webhook timeout. Default 5000 ms. */
  webhookTimeoutMs?: number;
  /** Refunds move pending → processed after this delay; null = only via control. Default 100 ms. */
  refundProcessDelayMs?: number | null;
}

export interface PaystackSandbox {
  url: string;
  control: PaystackSandboxControl;
  close(): Promise<void>;
}

/** Paths that need no key and keep working in an outage. */
const API_EXEMPT = /^\/(checkout|_control)(\/|$)/;

export async function startPaystackSandbox(options: PaystackSandboxOptions): Promise<PaystackSandbox> {
  const secretKey = options.secretKey;
  const store = new PaystackSandboxStore();
  const webhooks = new WebhookDispatcher(
    {
      secretKey,
      retryDelaysMs: options.webhookRetryDelaysMs ?? [200, 1000, 5000],
      timeoutMs: options.webhookTimeoutMs ?? 5000,
    },
    options.webhookUrl,
  );
  const holds = new Holds();
  let outage = false;
  let closed = false;
  let baseUrl = '';

  const payments = createPayments({
    store,
    webhooks,
    refundDelayMs: options.refundProcessDelayMs === undefined ? 100 : options.refundProcessDelayMs,
    holds,
    closed: () => closed,
  });

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 1_048_576 });
  await app.register(formbody);
  // Paystack's own Node SDK sends JSON without a Content-Type and the real API takes it; any other
  // media type stays refused.
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (request.headers['content-type'] !== undefined) {
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }));
      return;
    }
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('Invalid JSON body'), { statusCode: 400 }));
    }
  });

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    void reply
      .code(status)
      .send({ status: false, message: status >= 500 ? 'Internal Server Error' : error.message });
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ status: false, message: 'Resource not found' });
  });

  const faults = installFaults(app, holds);
  app.addHook('onRequest', async (request, reply) => {
    const taken = faults.apply(request, reply);
    if (taken === 'dropped') return;
    if (taken === 'answered') return reply;
    if (API_EXEMPT.test(pathOf(request))) return;
    if (outage) return reply.code(503).send({ status: false, message: 'Service Unavailable' });
    if (request.headers.authorization !== `Bearer ${secretKey}`) {
      return reply.code(401).send({ status: false, message: 'Invalid key' });
    }
  });

  registerApiRoutes(app, {
    store,
    payments,
    checkoutBase: () => options.publicUrl?.replace(/\/+$/, '') ?? baseUrl,
  });
  registerDisputeRoutes(app, { store });
  registerCheckoutRoutes(app, { store, payments });

  const control = createControl({
    store,
    webhooks,
    payments,
    faults,
    setOutage(enabled) {
      outage = enabled;
    },
  });
  await registerControlRoutes(app, control);

  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${urlHost}:${port}`;

  return {
    url: baseUrl,
    control,
    async close() {
      if (closed) return;
      closed = true;
      webhooks.close();
      holds.releaseAll();
      await app.close();
    },
  };
}
