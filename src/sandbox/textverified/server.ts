/**
 * A local TextVerified API v2 (contract §A) for the embedded demo and the tests: same paths under
 * `/api/pub/v2/`, bearer auth with expiry, the same JSON shapes, status codes, `Error` bodies,
 * `Idempotency-Key`, `test_*` scenarios and signed webhooks. Plus a test-only control API under
 * `/_control/` (and the same controls in-process).
 *
 * This file wires the parts: account.ts + state.ts (what the provider knows), routes.ts (the API),
 * control.ts (the test controls), faults.ts (scripted trouble), webhooks.ts (outgoing events).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { pathOf } from '../faults.js';
import { SandboxAccount, SandboxApiError } from './account.js';
import { BearerTokens } from './auth.js';
import { createControl, registerControlRoutes, type TextVerifiedSandboxControl } from './control.js';
import { installFaults } from './faults.js';
import { registerApiRoutes } from './routes.js';
import { SandboxState } from './state.js';
import { WebhookSender } from './webhooks.js';

export interface TextVerifiedSandboxOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  apiKey: string;
  username: string;
  /** Where `v2.sms.received` (and `v2.reservation.created`) webhooks go; none when unset. */
  webhookUrl?: string | null;
  webhookSecret: string;
  /**
   * The events the account subscribes to (TextVerified's dashboard subscribes per event); default
   * every event the sandbox sends. The app reads only `v2.sms.received`.
   */
  webhookEvents?: readonly string[];
  /** Delay before an ordinary purchase receives its SMS (default 8000 ms). */
  smsDelayMs?: number;
  /** Verification window, `endsAt - createdAt` (default 15 min). */
  verificationTtlMs?: number;
  now?: () => Date;
  /** Bearer token lifetime (default 900 s). */
  tokenTtlMs?: number;
  /** Starting balance in cents (default 10 000 = $100.00). */
  balanceCents?: number;
  /** Items per page in paginated lists (default 25). */
  pageSize?: number;
  /** `test_delayed_success` completes after this (default 30 000 ms). */
  delayedSuccessMs?: number;
  /** How long after its first SMS a verification may be reused (default 5 min; `test_success`: 30 s). */
  reuseWindowMs?: number;
  /** How long after its first SMS it may be reactivated, once the reuse window is over (default 24 h). */
  reactivateWindowMs?: number;
  /** Pending verifications allowed at once before `TooManyUnfinishedVerifications` (default 25). */
  maxUnfinished?: number;
  webhookMaxAttempts?: number;
  webhookRetryBaseMs?: number;
  webhookTimeoutMs?: number;
  /** How long a `hang` fault holds the connection (default 5 min, or until close). */
  hangMs?: number;
  random?: () => number;
}

export interface TextVerifiedSandbox {
  /** e.g. `http://127.0.0.1:43127` — use as the client's `baseUrl`. */
  url: string;
  close(): Promise<void>;
  control: TextVerifiedSandboxControl;
  app: FastifyInstance;
}

/** Builds the Fastify app (not listening). `startTextVerifiedSandbox` is the usual entry point. */
function buildTextVerifiedSandbox(options: TextVerifiedSandboxOptions): {
  app: FastifyInstance;
  control: TextVerifiedSandboxControl;
  shutdown: () => void;
} {
  const now = options.now ?? (() => new Date());
  let webhookUrl = options.webhookUrl ?? null;
  let webhookSecret = options.webhookSecret;

  const webhooks = new WebhookSender({
    url: () => webhookUrl,
    secret: () => webhookSecret,
    now,
    maxAttempts: options.webhookMaxAttempts ?? 5,
    retryBaseMs: options.webhookRetryBaseMs ?? 1_000,
    timeoutMs: options.webhookTimeoutMs ?? 5_000,
    events: options.webhookEvents,
  });
  const account = new SandboxAccount(options.balanceCents ?? 10_000);
  const state = new SandboxState({
    now,
    random: options.random ?? Math.random,
    smsDelayMs: options.smsDelayMs ?? 8_000,
    verificationTtlMs: options.verificationTtlMs ?? 15 * 60_000,
    delayedSuccessMs: options.delayedSuccessMs ?? 30_000,
    maxUnfinished: options.maxUnfinished ?? 25,
    reuseWindowMs: options.reuseWindowMs ?? 5 * 60_000,
    reactivateWindowMs: options.reactivateWindowMs ?? 24 * 60 * 60_000,
    account,
    webhooks,
  });
  const tokens = new BearerTokens({
    apiKey: options.apiKey,
    username: options.username,
    ttlMs: options.tokenTtlMs ?? 900_000,
    now,
  });

  const app = Fastify({ logger: false, forceCloseConnections: true });
  const faults = installFaults(app, { now, hangMs: options.hangMs ?? 300_000 });

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    if (error instanceof SandboxApiError) {
      return reply
        .code(error.status)
        .send({ errorCode: error.errorCode, errorDescription: error.errorDescription });
    }
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).send({
      errorCode: status === 500 ? 'ProcessingError' : 'BadRequest',
      errorDescription: error.message,
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ errorCode: 'NotFound', errorDescription: `No route ${request.method} ${pathOf(request)}.` }),
  );

  registerApiRoutes(app, {
    username: options.username,
    state,
    account,
    tokens,
    pageSize: options.pageSize ?? 25,
    now,
  });

  const control = createControl({
    state,
    account,
    faults,
    tokens,
    webhooks,
    setWebhook(url, secret) {
      webhookUrl = url;
      if (secret) webhookSecret = secret;
    },
  });
  registerControlRoutes(app, control);

  const shutdown = () => {
    state.close();
    webhooks.close();
    faults.releaseAll();
  };
  app.addHook('onClose', async () => shutdown());

  return { app, control, shutdown };
}

/** Starts the sandbox on `host:port` (default `127.0.0.1:0`) and resolves once it listens. */
export async function startTextVerifiedSandbox(
  options: TextVerifiedSandboxOptions,
): Promise<TextVerifiedSandbox> {
  const { app, control, shutdown } = buildTextVerifiedSandbox(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}`,
    control,
    app,
    async close() {
      shutdown(); // release hung requests first, or close would wait for them
      await app.close();
    },
  };
}
