/**
 * A local 5sim API (contract §B) for the embedded demo and the tests: the same `/v1/` paths,
 * bearer auth, JSON shapes and plain-text error strings, prices and stock per operator, SMS after
 * a delay or on command, the 15-minute window, reuse of a number. Plus a test-only control API under `/_control/`
 * (and the same controls in-process).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { type Catalogue, defaultCatalogue } from './catalog.js';
import { createControl, type FiveSimSandboxControl, registerControlRoutes } from './control.js';
import { installFaults } from './faults.js';
import { registerApiRoutes } from './routes.js';
import { FiveSimSandboxError, SandboxState } from './state.js';

export interface FiveSimSandboxOptions {
  /** 0 (default) = any free port. */
  port?: number;
  host?: string;
  apiKey: string;
  /** Delay before a purchased number receives its SMS (default 8000 ms). */
  smsDelayMs?: number;
  /** Order window, `expires - created_at` (default 15 min). */
  orderTtlMs?: number;
  /** How long after its first SMS a number bought with `reuse=1` can be reused (default 15 min). */
  reuseWindowMs?: number;
  /** Starting balance in cents (default 10 000 = $100.00). */
  balanceCents?: number;
  /** Replaces the demo catalogue. */
  catalogue?: Catalogue;
  /** The status `no free phones` comes with (default 200, as 5sim has been seen to answer it). */
  noFreePhonesStatus?: number;
  /** How long a `hang` fault holds the connection (default 5 min, or until close). */
  hangMs?: number;
  now?: () => Date;
  random?: () => number;
}

export interface FiveSimSandbox {
  /** e.g. `http://127.0.0.1:43127` — use as the client's `baseUrl`. */
  url: string;
  close(): Promise<void>;
  control: FiveSimSandboxControl;
  app: FastifyInstance;
}

export async function startFiveSimSandbox(options: FiveSimSandboxOptions): Promise<FiveSimSandbox> {
  const now = options.now ?? (() => new Date());
  const state = new SandboxState({
    now,
    random: options.random ?? Math.random,
    smsDelayMs: options.smsDelayMs ?? 8_000,
    orderTtlMs: options.orderTtlMs ?? 15 * 60_000,
    reuseWindowMs: options.reuseWindowMs ?? 15 * 60_000,
    balanceCents: options.balanceCents ?? 10_000,
    catalogue: options.catalogue ?? defaultCatalogue(),
    noFreePhonesStatus: options.noFreePhonesStatus ?? 200,
  });
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const faults = installFaults(app, { now, hangMs: options.hangMs ?? 300_000, apiKey: options.apiKey });
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const plain = reply.type('text/plain; charset=utf-8');
    if (error instanceof FiveSimSandboxError) return plain.code(error.status).send(error.text);
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    return plain.code(status).send(status === 500 ? 'internal error' : error.message);
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).type('text/plain; charset=utf-8').send('not found'),
  );
  registerApiRoutes(app, { apiKey: options.apiKey, state });
  const control = createControl({ state, faults });
  registerControlRoutes(app, control);
  const shutdown = () => {
    state.close();
    faults.releaseAll();
  };
  app.addHook('onClose', async () => shutdown());

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
      shutdown();
      await app.close();
    },
  };
}
