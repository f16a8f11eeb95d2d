/**
 * The TextVerified API v2 routes under `/api/pub/v2/` (contract §A.2): the same paths, status
 * codes and JSON shapes, with `X-Phoneblur-Mock: true` on test-mode answers (§A.3).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SandboxApiError, type SandboxAccount } from './account.js';
import { unauthorized, type BearerTokens } from './auth.js';
import { AREA_CODES } from './catalog.js';
import { dollars } from './money.js';
import type { SandboxState } from './state.js';
import {
  API,
  apiBase,
  bodyOf,
  iso,
  link,
  pageOf,
  paginate,
  smsJson,
  verificationCompactJson,
  verificationHref,
  verificationJson,
} from './wire.js';

export interface ApiRoutesDeps {
  username: string;
  state: SandboxState;
  account: SandboxAccount;
  tokens: BearerTokens;
  pageSize: number;
  now: () => Date;
}

const markMock = (reply: FastifyReply, mock: boolean) => {
  if (mock) reply.header('X-Phoneblur-Mock', 'true');
};

export function registerApiRoutes(app: FastifyInstance, deps: ApiRoutesDeps): void {
  const { state, account, tokens, pageSize } = deps;

  void app.register(
    async (api) => {
      api.post('/auth', async (request, reply) => {
        const issued = tokens.issue(request.headers['x-api-key'], request.headers['x-api-username']);
        return issued ?? unauthorized(reply, 'Invalid API key or username.');
      });

      await api.register(async (authed) => {
        authed.addHook('preHandler', tokens.require);

        authed.get('/account/me', async () => ({
          username: deps.username,
          currentBalance: dollars(account.balanceCents),
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
          return [...account.services.values()]
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
          const result = account.price(bodyOf(request));
          markMock(reply, result.mock);
          return { serviceName: result.serviceName, price: dollars(result.priceCents) };
        });

        authed.post('/inventory/verifications', async (request, reply) => {
          const result = account.inventory(bodyOf(request));
          markMock(reply, result.mock);
          return { availableQuantity: result.availableQuantity };
        });

        authed.post('/verifications', async (request, reply) => {
          const key = request.headers['idempotency-key'];
          const { verification } = await state.create(bodyOf(request), typeof key === 'string' ? key : null);
          const href = verificationHref(apiBase(request), verification.id);
          markMock(reply, verification.mock);
          return reply.code(201).header('location', href).send({ method: 'GET', href });
        });

        authed.get('/verifications', async (request) => {
          const b = apiBase(request);
          const items = state
            .list()
            .filter((v) => !v.frozen) // the fixed mock_ver_* ids are readable but not part of the account
            .map((v) => verificationCompactJson(v, b));
          return paginate(items, pageOf(request), pageSize, (p) => `${b}/verifications?page=${p}`);
        });

        authed.get('/verifications/:id', async (request, reply) => {
          const v = state.get((request.params as { id: string }).id);
          markMock(reply, v.mock);
          const can = {
            cancel: state.canCancel(v),
            report: state.canReport(v),
            reuse: state.canReuse(v),
            reactivate: state.canReactivate(v),
          };
          return verificationJson(v, apiBase(request), deps.now(), can);
        });

        authed.post('/verifications/:id/cancel', async (request, reply) => {
          state.cancel((request.params as { id: string }).id);
          return reply.code(200).send();
        });

        authed.post('/verifications/:id/report', async (request, reply) => {
          state.report((request.params as { id: string }).id);
          return reply.code(200).send();
        });

        for (const action of ['reuse', 'reactivate'] as const) {
          authed.post(`/verifications/:id/${action}`, async (request, reply) => {
            const created = state.renew((request.params as { id: string }).id, action);
            const href = verificationHref(apiBase(request), created.id);
            markMock(reply, created.mock);
            return reply.code(201).header('location', href).send({ method: 'GET', href });
          });
        }

        authed.get('/sms', async (request) => {
          const q = request.query as Record<string, string | undefined>;
          const b = apiBase(request);
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
          const b = apiBase(request);
          return paginate([], pageOf(request), pageSize, (p) => `${b}/calls?page=${p}`);
        });

        authed.get('/sales/:id', async (request) => {
          const id = (request.params as { id: string }).id;
          const v = state.list().find((x) => x.saleId === id);
          if (!v) throw new SandboxApiError(404, 'NotFound', `Sale '${id}' was not found.`);
          return {
            id: v.saleId,
            createdAt: iso(v.createdAt),
            updatedAt: iso(v.createdAt),
            state: 'succeeded',
            total: dollars(v.totalCostCents),
            reservations: [
              {
                id: v.id,
                link: link('GET', verificationHref(apiBase(request), v.id)),
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
}
