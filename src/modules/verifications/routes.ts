/** HTTP of verifications and the catalogue: schemas, who may call, and the service calls. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import { type AccessCheck, type AccessWatch, createAccessWatch } from '../../platform/http/access-watch.js';
import { errorBody } from '../../platform/http/error-handler.js';
import { principalOf, requireConfirmedEmail, requireScope, requireUser } from '../../platform/http/guards.js';
import type { Principal } from '../../platform/http/principal.js';
import type { RouteRateLimit } from '../../platform/http/rate-limit.js';
import { SECURITY_HEADERS } from '../../platform/http/security-headers.js';
import type { Config } from '../../platform/config.js';
import type { Logger } from '../../platform/logger.js';
import type { TiersService } from '../tiers/index.js';
import { CAPABILITIES } from '../catalog/index.js';
import { isVerificationStatus, RENEWALS, STATUSES } from './domain.js';
import { registerTextVerifiedHook } from './hooks.js';
import type { VerificationsService } from './service.js';
import { toMessageView, toView, verificationView } from './views.js';

const canRead = requireScope('verifications:read');
const canWrite = requireScope('verifications:write');

const purchaseBody = z
  .object({
    service: z.string().trim().min(1).max(64),
    country: z.string().trim().min(2).max(2),
    capability: z.enum(CAPABILITIES).optional(),
    areaCodes: z
      .array(z.string().regex(/^\d{3}$/, 'must be a 3-digit area code'))
      .max(10)
      .optional(),
    carrier: z.string().trim().min(1).max(16).optional(),
    maxPrice: z.number().int().min(0).optional(),
  })
  .strict();

const idParams = z.object({ id: z.string().uuid() });

/** A renewal needs nothing but the order; `maxPrice` guards the price as on a purchase. */
const renewBody = z
  .object({ maxPrice: z.number().int().min(0).optional() })
  .strict()
  .nullish()
  .describe('Optional.');

const listQuery = z.object({
  status: z.string().optional(),
  service: z.string().optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const errors = { '4xx': errorBody, 503: errorBody };

export interface VerificationRoutesDeps {
  config: Pick<Config, 'textVerified'>;
  logger: Pick<Logger, 'warn'>;
  verifications: VerificationsService;
  tiers: TiersService;
  /** Who still stands behind an open event stream (sessions, keys, users). */
  access: AccessCheck;
}

export function registerVerificationRoutes(app: FastifyInstance, deps: VerificationRoutesDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // One counter for purchases and renewals alike; the tier row decides from the first purchase on
  // (read through the tiers cache).
  const purchaseRateLimit: RouteRateLimit = {
    name: 'verification-purchase',
    points: async (request) => (await deps.tiers.get(principalOf(request).tier)).purchaseRatePerMinute,
    durationSeconds: 60,
    key: 'user',
  };
  const service = deps.verifications;
  const access = createAccessWatch(deps.access, deps.logger);
  app.addHook('onClose', async () => access.close());
  registerTextVerifiedHook(app, deps);

  r.post(
    '/api/v1/verifications',
    {
      schema: {
        body: purchaseBody,
        tags: ['verifications'],
        summary: 'Buy a number for one verification',
        response: {
          201: verificationView.describe('The number is assigned.'),
          202: verificationView.describe('Still being bought (status pending): poll its Location.'),
          ...errors,
        },
      },
      preValidation: [requireUser, canWrite, requireConfirmedEmail],
      config: {
        idempotent: true,
        answersWithLocation: true,
        errors: [
          'email_unconfirmed',
          'not_found',
          'validation_failed',
          'tier_required',
          'price_changed',
          'active_limit_reached',
          'insufficient_funds',
          'out_of_stock',
          'provider_rejected',
          'provider_unavailable',
        ],
        rateLimits: [purchaseRateLimit],
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const view = await service.purchase(principal, request.body, {
        idempotencyKey: request.idempotencyKey,
      });
      void reply.header('location', `/api/v1/verifications/${view.id}`);
      return reply.status(view.status === 'pending' ? 202 : 201).send(view);
    },
  );

  r.get(
    '/api/v1/verifications',
    {
      schema: {
        querystring: listQuery,
        tags: ['verifications'],
        response: {
          200: z.object({ data: z.array(verificationView), nextCursor: z.string().nullable() }),
          ...errors,
        },
      },
      preValidation: [requireUser, canRead],
      config: { errors: ['validation_failed'] },
    },
    async (request) => {
      const { userId } = principalOf(request);
      const named = request.query.status
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const statuses = named?.filter(isVerificationStatus);
      if (statuses?.length !== named?.length) {
        throw new AppError(400, 'validation_failed', `status must be one of ${STATUSES.join(', ')}.`);
      }
      const page = await service.listVerifications(userId, {
        statuses,
        service: request.query.service,
        cursor: request.query.cursor,
        limit: request.query.limit,
      });
      return { data: page.rows.map((row) => toView(row)), nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/api/v1/verifications/:id',
    {
      schema: { params: idParams, tags: ['verifications'], response: { 200: verificationView, ...errors } },
      preValidation: [requireUser, canRead],
      config: { errors: ['not_found'] },
    },
    async (request) => service.getVerification(principalOf(request).userId, request.params.id),
  );

  for (const action of ['cancel', 'report'] as const) {
    r.post(
      `/api/v1/verifications/:id/${action}`,
      {
        schema: { params: idParams, tags: ['verifications'], response: { 200: verificationView, ...errors } },
        preValidation: [requireUser, canWrite],
        config: { idempotent: true, errors: ['not_found', 'already_completed', 'not_cancelable'] },
      },
      async (request) => service.cancelOrReport(principalOf(request).userId, request.params.id, action),
    );
  }

  for (const renewal of RENEWALS) {
    r.post(
      `/api/v1/verifications/:id/${renewal}`,
      {
        schema: {
          params: idParams,
          body: renewBody,
          tags: ['verifications'],
          summary:
            renewal === 'reuse'
              ? "Buy a completed order's number again, shortly after its code (a new order)"
              : "Reactivate a completed order's number after its reuse window (a new order)",
          description:
            "Only for the caller's own completed order that the provider offers again (see `renewable` on " +
            'GET /api/v1/verifications/{id}). The new order links back through `reusedFrom`, is priced by the ' +
            'quote of a new purchase of the same service, country and capability (no area-code or carrier ' +
            'option), and is held, captured on its first SMS or released exactly like a purchase.',
          response: {
            201: verificationView.describe('The number is assigned again (a new order).'),
            202: verificationView.describe('Still being bought (status pending): poll its Location.'),
            ...errors,
          },
        },
        preValidation: [requireUser, canWrite, requireConfirmedEmail],
        config: {
          idempotent: true,
          answersWithLocation: true,
          errors: [
            'email_unconfirmed',
            'not_found',
            'validation_failed',
            'price_changed',
            'active_limit_reached',
            'insufficient_funds',
            renewal === 'reuse' ? 'reuse_not_available' : 'reactivation_not_available',
            'out_of_stock',
            'provider_rejected',
            'provider_unavailable',
          ],
          rateLimits: [purchaseRateLimit],
        },
      },
      async (request, reply) => {
        const view = await service.renew(
          principalOf(request),
          request.params.id,
          renewal,
          request.body ?? {},
          { idempotencyKey: request.idempotencyKey },
        );
        void reply.header('location', `/api/v1/verifications/${view.id}`);
        return reply.status(view.status === 'pending' ? 202 : 201).send(view);
      },
    );
  }

  r.get(
    '/api/v1/verifications/:id/events',
    {
      schema: {
        params: idParams,
        tags: ['verifications'],
        summary: 'Server-Sent Events: status and messages',
        response: {
          200: {
            description:
              'Events `status` (a verification view), `message` (a message view) and `error` (`{"error":{"code":"access_revoked",…}}`, then the stream ends: the session or key was revoked).',
            content: { 'text/event-stream': { schema: z.string() } },
          },
        },
      },
      preValidation: [requireUser, canRead],
      config: { errors: ['not_found'] },
    },
    async (request, reply) =>
      streamEvents(service, access, principalOf(request), request.params.id, request, reply),
  );
}

/** How often a stream re-reads even without a notice (a lost notice is never lost for long). */
const REFRESH_MS = 15_000;

async function streamEvents(
  service: VerificationsService,
  access: AccessWatch,
  principal: Principal,
  id: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const { userId } = principal;
  const first = await service.ownOrder(userId, id);
  if (!first) throw new AppError(404, 'not_found', 'Verification not found.');

  reply.hijack();
  const raw = reply.raw;
  // A hijacked reply skips onSend: carry the headers the hooks set so far and the security headers.
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  let closed = false;
  const send = (event: string, data: unknown, eventId?: string) => {
    if (closed) return;
    raw.write(`${eventId ? `id: ${eventId}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  raw.write('retry: 3000\n\n');

  const seen = new Set<string>();
  let lastStatus: string | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  const refresh = async () => {
    const row = await service.ownOrder(userId, id);
    if (!row) return;
    const messages = await service.messagesOf(id);
    for (const m of messages) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      send('message', toMessageView(m), m.id);
    }
    if (row.status !== lastStatus || row.updatedAt.toISOString() !== lastUpdated) {
      lastStatus = row.status;
      lastUpdated = row.updatedAt.toISOString();
      send('status', toView(row));
    }
  };
  let lastUpdated = '';
  // Notices may come in bursts: run one refresh at a time, and once more if one came meanwhile.
  const trigger = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = refresh()
      .catch((error: unknown) => request.log.warn({ err: error }, 'SSE refresh failed'))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          trigger();
        }
      });
  };

  const unsubscribe = await service.subscribe(id, trigger);
  const timer = setInterval(() => {
    if (!closed) raw.write(': keep-alive\n\n');
    trigger();
  }, REFRESH_MS);
  timer.unref();
  const stop = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    unsubscribe();
    unwatch();
  };
  // Opened with a session or key that has since been revoked (or a user since suspended): end it,
  // saying why, so no later code reaches whoever holds the stream.
  const unwatch = access.watch(principal, () => {
    send('error', {
      error: { code: 'access_revoked', message: 'The session or API key of this stream is no longer valid.' },
    });
    stop();
    raw.end();
  });
  raw.on('close', stop);
  request.raw.on('close', stop);
  // A finished order is still streamed: a late SMS is shown too.
  trigger();
}
