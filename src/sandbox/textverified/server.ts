/**
 * A local TextVerified API v2 (contract §A) for the embedded demo and the tests: same paths under
 * `/api/pub/v2/`, bearer auth with expiry, the same JSON shapes, status codes, `Error` bodies,
 * `Idempotency-Key`, `test_*` scenarios and signed webhooks. Plus a test-only control API under
 * `/_control/` (and the same controls in-process).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AREA_CODES } from './catalog.js';
import { SandboxApiError, SandboxState, type SandboxSms, type SandboxVerification } from './state.js';
import { WebhookSender, type WebhookAttemptLog } from './webhooks.js';

const API = '/api/pub/v2';

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
  /** Pending verifications allowed at once before `TooManyUnfinishedVerifications` (default 25). */
  maxUnfinished?: number;
  webhookMaxAttempts?: number;
  webhookRetryBaseMs?: number;
  webhookTimeoutMs?: number;
  /** How long a `hang` fault holds the connection (default 5 min, or until close). */
  hangMs?: number;
  random?: () => number;
}

export type FaultMode = 'error' | 'hang' | 'drop';

export interface FaultSpec {
  /**
   * Request path to match: exact (`/api/pub/v2/verifications`), with `:param` / `*` segments
   * (`/api/pub/v2/verifications/:id`), or a trailing `/**`. A path not starting with `/` is taken
   * relative to `/api/pub/v2/`.
   */
  path: string;
  /** Only this method (default: any). */
  method?: string;
  /** `error` = 500 with an `Error` body, `hang` = never answer, `drop` = destroy the socket. */
  mode: FaultMode;
  /** How many matching requests fail (default 1). */
  count?: number;
  /** Fail only after the request took effect (e.g. the number was bought but the 201 is lost). */
  afterEffect?: boolean;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  url: string;
  idempotencyKey: string | null;
  at: Date;
}

export interface SandboxVerificationSnapshot {
  id: string;
  number: string;
  serviceName: string;
  state: string;
  totalCostCents: number;
  createdAt: Date;
  endsAt: Date;
  sms: SandboxSms[];
  mock: boolean;
}

export interface TextVerifiedSandboxControl {
  /** Delivers an SMS now (service template + fresh code unless `text`/`code` given); sends the webhook. */
  deliverSms(
    verificationId: string,
    opts?: { text?: string; code?: string; from?: string; to?: string },
  ): SandboxSms;
  /** Ends the verification window now (pending → timed out, refunded). */
  expire(verificationId: string): SandboxVerificationSnapshot;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  setStock(serviceName: string, stock: number): void;
  setBalance(cents: number): void;
  getBalance(): number;
  /** Makes `POST /verifications` take this long (shows 409 IdempotencyConflict for concurrent same-key calls). */
  setCreateLatency(ms: number): void;
  setWebhook(url: string | null, secret?: string): void;
  /** Invalidates every issued bearer token (next call gets 401). */
  expireTokens(): void;
  verification(id: string): SandboxVerificationSnapshot | undefined;
  /** Every webhook delivery attempt, oldest first. */
  webhooks(): WebhookAttemptLog[];
  /** Every request to `/api/pub/v2/…`, oldest first. */
  requests(): RequestLogEntry[];
  clearRequests(): void;
}

export interface TextVerifiedSandbox {
  /** e.g. `http://127.0.0.1:43127` — use as the client's `baseUrl`. */
  url: string;
  close(): Promise<void>;
  control: TextVerifiedSandboxControl;
  app: FastifyInstance;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
  segments: string[];
}

const matchPath = (segments: string[], path: string): boolean => {
  const parts = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg === '**') return true;
    const part = parts[i];
    if (part === undefined) return false;
    if (seg === '*' || seg?.startsWith(':')) continue;
    if (seg !== part) return false;
  }
  return parts.length === segments.length;
};

/** Constant-time string comparison (hash first so lengths never leak). */
const sameSecret = (given: unknown, expected: string): boolean =>
  typeof given === 'string' &&
  timingSafeEqual(
    createHash('sha256').update(given).digest(),
    createHash('sha256').update(expected).digest(),
  );

const money = (cents: number) => cents / 100; // integer cents / 100 prints as the exact 2-decimal number
const iso = (d: Date) => d.toISOString().replace('Z', '+00:00');

function paginate<T>(items: T[], page: number, pageSize: number, pageUrl: (page: number) => string) {
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  const current = Math.min(Math.max(1, page), pages);
  const hasNext = current < pages;
  const hasPrevious = current > 1;
  return {
    data: items.slice((current - 1) * pageSize, current * pageSize),
    hasNext,
    hasPrevious,
    count: items.length,
    links: {
      current: { method: 'GET', href: pageUrl(current) },
      previous: hasPrevious ? { method: 'GET', href: pageUrl(current - 1) } : null,
      next: hasNext ? { method: 'GET', href: pageUrl(current + 1) } : null,
    },
  };
}

/** Builds the Fastify app (not listening). `startTextVerifiedSandbox` is the usual entry point. */
export function buildTextVerifiedSandbox(options: TextVerifiedSandboxOptions): {
  app: FastifyInstance;
  control: TextVerifiedSandboxControl;
  shutdown: () => void;
} {
  const now = options.now ?? (() => new Date());
  const tokenTtlMs = options.tokenTtlMs ?? 900_000;
  const pageSize = options.pageSize ?? 25;
  const hangMs = options.hangMs ?? 300_000;
  let webhookUrl = options.webhookUrl ?? null;
  let webhookSecret = options.webhookSecret;

  const webhooks = new WebhookSender({
    url: () => webhookUrl,
    secret: () => webhookSecret,
    now,
    maxAttempts: options.webhookMaxAttempts ?? 5,
    retryBaseMs: options.webhookRetryBaseMs ?? 1_000,
    timeoutMs: options.webhookTimeoutMs ?? 5_000,
  });
  const state = new SandboxState({
    now,
    random: options.random ?? Math.random,
    smsDelayMs: options.smsDelayMs ?? 8_000,
    verificationTtlMs: options.verificationTtlMs ?? 15 * 60_000,
    delayedSuccessMs: options.delayedSuccessMs ?? 30_000,
    balanceCents: options.balanceCents ?? 10_000,
    maxUnfinished: options.maxUnfinished ?? 25,
    webhooks,
  });
  const tokens = new Map<string, number>();
  const faults: ActiveFault[] = [];
  const requestLog: RequestLogEntry[] = [];
  const held = new Set<{ release: () => void }>();

  const app = Fastify({ logger: false, forceCloseConnections: true });

  const base = (request: FastifyRequest) => `${request.protocol}://${request.host}`;
  const pathOf = (request: FastifyRequest) => request.url.split('?')[0] ?? request.url;

  const takeFault = (request: FastifyRequest): ActiveFault | undefined => {
    const path = pathOf(request);
    const fault = faults.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method.toUpperCase() === request.method) &&
        matchPath(f.segments, path),
    );
    if (fault) fault.remaining -= 1;
    return fault;
  };

  /** Holds a connection open until `hangMs` passes or the sandbox closes, then destroys it. */
  const hold = (socket: Socket): Promise<void> =>
    new Promise((resolve) => {
      const entry = {
        release: () => {
          clearTimeout(timer);
          held.delete(entry);
          socket.destroy();
          resolve();
        },
      };
      const timer = setTimeout(() => entry.release(), hangMs);
      timer.unref();
      held.add(entry);
    });

  const faultKey = Symbol('fault');
  type Marked = FastifyRequest & { [faultKey]?: ActiveFault };

  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request);
    if (!path.startsWith(`${API}/`)) return;
    const key = request.headers['idempotency-key'];
    requestLog.push({
      method: request.method,
      path,
      url: request.url,
      idempotencyKey: typeof key === 'string' ? key : null,
      at: now(),
    });
    const fault = takeFault(request);
    if (!fault) return;
    if (fault.afterEffect) {
      (request as Marked)[faultKey] = fault;
      return;
    }
    if (fault.mode === 'error') {
      return reply.code(500).send({ errorCode: 'InternalServerError', errorDescription: 'Injected fault.' });
    }
    reply.hijack();
    if (fault.mode === 'drop') request.raw.socket.destroy();
    else void hold(request.raw.socket);
    return reply;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const fault = (request as Marked)[faultKey];
    if (!fault) return payload;
    if (fault.mode === 'error') {
      reply.code(500).header('content-type', 'application/json; charset=utf-8');
      reply.removeHeader('location');
      return JSON.stringify({ errorCode: 'InternalServerError', errorDescription: 'Injected fault.' });
    }
    if (fault.mode === 'drop') request.raw.socket.destroy();
    else await hold(request.raw.socket);
    return payload;
  });

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

  const unauthorized = (reply: FastifyReply, description: string) =>
    reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ errorCode: 'Unauthorized', errorDescription: description });

  const requireBearer = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return unauthorized(reply, 'A bearer token is required.');
    const expiresAt = tokens.get(match[1]);
    if (expiresAt === undefined) return unauthorized(reply, 'The bearer token is not valid.');
    if (now().getTime() >= expiresAt) {
      tokens.delete(match[1]);
      return unauthorized(reply, 'The bearer token has expired.');
    }
  };

  const markMock = (reply: FastifyReply, mock: boolean) => {
    if (mock) reply.header('X-Phoneblur-Mock', 'true');
  };

  const link = (method: string | null, href: string | null) => ({ method, href });

  const verificationJson = (request: FastifyRequest, v: SandboxVerification) => {
    const b = `${base(request)}${API}`;
    const self = `${b}/verifications/${encodeURIComponent(v.id)}`;
    const reusable = v.reusableUntil !== null && v.reusableUntil.getTime() > now().getTime();
    return {
      id: v.id,
      number: v.number,
      serviceName: v.serviceName,
      state: v.state,
      totalCost: money(v.totalCostCents),
      createdAt: iso(v.createdAt),
      endsAt: iso(v.endsAt),
      sms: link('GET', `${b}/sms?reservationId=${encodeURIComponent(v.id)}`),
      calls: link('GET', `${b}/calls?reservationId=${encodeURIComponent(v.id)}`),
      sale: link('GET', `${b}/sales/${encodeURIComponent(v.saleId)}`),
      cancel: { canCancel: state.canCancel(v), link: link('POST', `${self}/cancel`) },
      report: { canReport: state.canReport(v), link: link('POST', `${self}/report`) },
      reuse: {
        link: reusable ? link('POST', `${self}/reuse`) : link(null, null),
        reusableUntil: v.reusableUntil ? iso(v.reusableUntil) : null,
      },
      reactivate: {
        canReactivate: v.canReactivate,
        link: v.canReactivate ? link('POST', `${self}/reactivate`) : link(null, null),
      },
    };
  };

  const smsJson = (m: SandboxSms) => ({
    id: m.id,
    from: m.from,
    to: m.to,
    createdAt: iso(m.createdAt),
    smsContent: m.smsContent,
    parsedCode: m.parsedCode,
    encrypted: m.encrypted,
  });

  const bodyOf = (request: FastifyRequest): Record<string, unknown> => {
    const body = request.body;
    if (body === undefined || body === null) return {};
    if (typeof body !== 'object' || Array.isArray(body))
      throw new SandboxApiError(400, 'BadRequest', 'The body must be a JSON object.');
    return body as Record<string, unknown>;
  };
  const pageOf = (request: FastifyRequest) =>
    Number((request.query as Record<string, string>).page ?? '1') || 1;

  // ---------- the API ----------
  void app.register(
    async (api) => {
      api.post('/auth', async (request, reply) => {
        const key = request.headers['x-api-key'];
        const user = request.headers['x-api-username'];
        if (
          !sameSecret(key, options.apiKey) ||
          typeof user !== 'string' ||
          user.toLowerCase() !== options.username.toLowerCase()
        ) {
          return unauthorized(reply, 'Invalid API key or username.');
        }
        const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
        const issued = now().getTime();
        const expiresAt = issued + tokenTtlMs;
        const claims = Buffer.from(
          JSON.stringify({ sub: options.username, exp: Math.floor(expiresAt / 1000) }),
        ).toString('base64url');
        const token = `${header}.${claims}.${randomBytes(32).toString('base64url')}`;
        tokens.set(token, expiresAt);
        return {
          token,
          expiresIn: Math.max(0, Math.floor(tokenTtlMs / 1000) - 1),
          expiresAt: iso(new Date(expiresAt)),
        };
      });

      await api.register(async (authed) => {
        authed.addHook('preHandler', requireBearer);

        authed.get('/account/me', async () => ({
          username: options.username,
          currentBalance: money(state.balanceCents),
        }));

        authed.get('/services', async (request) => {
          const q = request.query as Record<string, string | undefined>;
          if (!q.numberType || !['mobile', 'voip', 'landline'].includes(q.numberType)) {
            throw new SandboxApiError(400, 'BadRequest', 'numberType is a required field.');
          }
          if (
            !q.reservationType ||
            !['renewable', 'nonrenewable', 'verification'].includes(q.reservationType)
          ) {
            throw new SandboxApiError(400, 'BadRequest', 'reservationType is a required field.');
          }
          if (q.numberType === 'landline') return [];
          return [...state.services.values()]
            .filter((s) => q.numberType === 'mobile' || s.capability === 'smsAndVoiceCombo')
            .map((s) => ({
              serviceName: s.serviceName,
              description: s.displayName,
              capability: s.capability,
            }));
        });

        authed.get('/area-codes', async () => AREA_CODES.map((a) => ({ ...a })));

        authed.get('/webhook-events', async () => [
          'v2.sms.received',
          'v2.reservation.created',
          'v2.rental.billingcycle.renewed',
          'v2.rental.billingcycle.expired',
          'v2.rental.backorder.fulfilled',
        ]);

        authed.post('/pricing/verifications', async (request, reply) => {
          const result = state.price(bodyOf(request));
          markMock(reply, result.mock);
          return { serviceName: result.serviceName, price: money(result.priceCents) };
        });

        authed.post('/inventory/verifications', async (request, reply) => {
          const result = state.inventory(bodyOf(request));
          markMock(reply, result.mock);
          return { availableQuantity: result.availableQuantity };
        });

        authed.post('/verifications', async (request, reply) => {
          const key = request.headers['idempotency-key'];
          const { verification } = await state.create(bodyOf(request), typeof key === 'string' ? key : null);
          const href = `${base(request)}${API}/verifications/${encodeURIComponent(verification.id)}`;
          markMock(reply, verification.mock);
          return reply.code(201).header('location', href).send({ method: 'GET', href });
        });

        authed.get('/verifications', async (request) => {
          const b = `${base(request)}${API}`;
          const items = state
            .list()
            .filter((v) => !v.frozen) // the fixed mock_ver_* ids are readable but not part of the account
            .map((v) => ({
              id: v.id,
              createdAt: iso(v.createdAt),
              link: link('GET', `${b}/verifications/${encodeURIComponent(v.id)}`),
              serviceName: v.serviceName,
              state: v.state,
              totalCost: money(v.totalCostCents),
              number: v.number,
              sms: link('GET', `${b}/sms?reservationId=${encodeURIComponent(v.id)}`),
              calls: link('GET', `${b}/calls?reservationId=${encodeURIComponent(v.id)}`),
            }));
          return paginate(items, pageOf(request), pageSize, (p) => `${b}/verifications?page=${p}`);
        });

        authed.get('/verifications/:id', async (request, reply) => {
          const v = state.get((request.params as { id: string }).id);
          markMock(reply, v.mock);
          return verificationJson(request, v);
        });

        authed.post('/verifications/:id/cancel', async (request, reply) => {
          state.cancel((request.params as { id: string }).id);
          return reply.code(200).send();
        });

        authed.post('/verifications/:id/report', async (request, reply) => {
          state.report((request.params as { id: string }).id);
          return reply.code(200).send();
        });

        for (const action of ['reuse', 'reactivate']) {
          authed.post(`/verifications/:id/${action}`, async (request) => {
            state.get((request.params as { id: string }).id);
            throw new SandboxApiError(400, 'NotEligible', `This sandbox does not support ${action}.`);
          });
        }

        authed.get('/sms', async (request) => {
          const q = request.query as Record<string, string | undefined>;
          const b = `${base(request)}${API}`;
          const items = state.smsList({ reservationId: q.reservationId, to: q.to }).map(smsJson);
          const params = new URLSearchParams();
          if (q.reservationId) params.set('reservationId', q.reservationId);
          if (q.to) params.set('to', q.to);
          if (q.reservationType) params.set('reservationType', q.reservationType);
          return paginate(items, pageOf(request), pageSize, (p) => {
            params.set('page', String(p));
            return `${b}/sms?${params.toString()}`;
          });
        });

        authed.get('/calls', async (request) => {
          const b = `${base(request)}${API}`;
          return paginate([], pageOf(request), pageSize, (p) => `${b}/calls?page=${p}`);
        });

        authed.get('/sales/:id', async (request) => {
          const id = (request.params as { id: string }).id;
          const v = state.list().find((x) => x.saleId === id);
          if (!v) throw new SandboxApiError(404, 'NotFound', `Sale '${id}' was not found.`);
          const b = `${base(request)}${API}`;
          return {
            id: v.saleId,
            createdAt: iso(v.createdAt),
            updatedAt: iso(v.createdAt),
            state: 'succeeded',
            total: money(v.totalCostCents),
            reservations: [
              {
                id: v.id,
                link: link('GET', `${b}/verifications/${encodeURIComponent(v.id)}`),
                reservationType: 'verification',
                serviceName: v.serviceName,
              },
            ],
            backOrderReservations: [],
          };
        });
      });
    },
    { prefix: API },
  );

  // ---------- control ----------
  const snapshot = (v: SandboxVerification): SandboxVerificationSnapshot => ({
    id: v.id,
    number: v.number,
    serviceName: v.serviceName,
    state: v.state,
    totalCostCents: v.totalCostCents,
    createdAt: v.createdAt,
    endsAt: v.endsAt,
    sms: [...v.sms],
    mock: v.mock,
  });

  const control: TextVerifiedSandboxControl = {
    deliverSms: (id, opts) => state.deliverSms(id, opts),
    expire: (id) => snapshot(state.expire(id)),
    injectFault(fault) {
      const path = fault.path.startsWith('/') ? fault.path : `${API}/${fault.path}`;
      faults.push({ ...fault, path, remaining: fault.count ?? 1, segments: path.split('/') });
    },
    clearFaults() {
      faults.length = 0;
    },
    setStock: (name, stock) => state.setStock(name, stock),
    setBalance(cents) {
      if (!Number.isSafeInteger(cents))
        throw new SandboxApiError(400, 'BadRequest', 'balance must be integer cents.');
      state.balanceCents = cents;
    },
    getBalance: () => state.balanceCents,
    setCreateLatency(ms) {
      state.createLatencyMs = Math.max(0, ms);
    },
    setWebhook(url, secret) {
      webhookUrl = url;
      if (secret) webhookSecret = secret;
    },
    expireTokens() {
      tokens.clear();
    },
    verification(id) {
      const v = state.verifications.get(id);
      return v ? snapshot(state.refresh(v)) : undefined;
    },
    webhooks: () => [...webhooks.log],
    requests: () => [...requestLog],
    clearRequests() {
      requestLog.length = 0;
    },
  };

  void app.register(
    async (ctl) => {
      const num = (value: unknown, field: string): number => {
        if (typeof value !== 'number' || !Number.isFinite(value))
          throw new SandboxApiError(400, 'BadRequest', `${field} must be a number.`);
        return value;
      };
      ctl.post('/verifications/:id/sms', async (request, reply) => {
        const body = bodyOf(request);
        const sms = control.deliverSms((request.params as { id: string }).id, {
          text: typeof body.text === 'string' ? body.text : undefined,
          code: typeof body.code === 'string' ? body.code : undefined,
          from: typeof body.from === 'string' ? body.from : undefined,
        });
        return reply.code(201).send(smsJson(sms));
      });
      ctl.post('/verifications/:id/expire', async (request) =>
        control.expire((request.params as { id: string }).id),
      );
      ctl.get('/verifications/:id', async (request) => {
        const v = control.verification((request.params as { id: string }).id);
        if (!v) throw new SandboxApiError(404, 'NotFound', 'No such verification.');
        return v;
      });
      ctl.post('/faults', async (request, reply) => {
        const body = bodyOf(request);
        if (typeof body.path !== 'string' || !['error', 'hang', 'drop'].includes(String(body.mode))) {
          throw new SandboxApiError(400, 'BadRequest', 'path and mode (error|hang|drop) are required.');
        }
        control.injectFault({
          path: body.path,
          mode: body.mode as FaultMode,
          method: typeof body.method === 'string' ? body.method : undefined,
          count: body.count === undefined ? 1 : num(body.count, 'count'),
          afterEffect: body.afterEffect === true,
        });
        return reply.code(204).send();
      });
      ctl.delete('/faults', async (_request, reply) => {
        control.clearFaults();
        return reply.code(204).send();
      });
      ctl.put('/services/:name/stock', async (request, reply) => {
        control.setStock((request.params as { name: string }).name, num(bodyOf(request).stock, 'stock'));
        return reply.code(204).send();
      });
      ctl.get('/balance', async () => ({ balanceCents: control.getBalance() }));
      ctl.put('/balance', async (request, reply) => {
        control.setBalance(num(bodyOf(request).balanceCents, 'balanceCents'));
        return reply.code(204).send();
      });
      ctl.put('/create-latency', async (request, reply) => {
        control.setCreateLatency(num(bodyOf(request).ms, 'ms'));
        return reply.code(204).send();
      });
      ctl.put('/webhook', async (request, reply) => {
        const body = bodyOf(request);
        control.setWebhook(
          typeof body.url === 'string' ? body.url : null,
          typeof body.secret === 'string' ? body.secret : undefined,
        );
        return reply.code(204).send();
      });
      ctl.post('/tokens/expire', async (_request, reply) => {
        control.expireTokens();
        return reply.code(204).send();
      });
      ctl.get('/webhooks', async () => control.webhooks());
      ctl.get('/requests', async () => control.requests());
      ctl.delete('/requests', async (_request, reply) => {
        control.clearRequests();
        return reply.code(204).send();
      });
    },
    { prefix: '/_control' },
  );

  const shutdown = () => {
    state.close();
    webhooks.close();
    for (const h of [...held]) h.release();
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
