/**
 * `GET|POST /stubs/handler_api.php`: the SMS-Activate protocol (contracts §C), so tools written
 * for it switch by changing their base URL. The key comes as `api_key=` (query or form body) and
 * gets every check of the REST API's; answers are text tokens (JSON for the V2 and list actions),
 * with HTTP 200 even for refusals, as the classic servers do.
 */
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { unauthenticated } from '../../platform/errors.js';
import { describeError } from '../../platform/http/error-handler.js';
import { principalOf, requireScope } from '../../platform/http/guards.js';
import type { ApiKeyAuthentication } from '../accounts/index.js';
import type { TiersService } from '../tiers/index.js';
import { type Action, isAction, statusRequestOf, tokenOfError } from './domain.js';
import type { SmsActivateService } from './service.js';

export interface SmsActivateRoutesDeps {
  smsActivate: SmsActivateService;
  authenticateApiKey: ApiKeyAuthentication;
  tiers: TiersService;
}

const param = (description: string) => z.string().max(4096).optional().describe(description);
/** The protocol's parameters (also accepted as a form body); unknown ones are ignored. */
const params = z.object({
  api_key: param('Your Namaskah API key.'),
  action: param('getBalance, getNumber, getNumberV2, getStatus, getStatusV2, setStatus, getFullSms, …'),
  service: param('Service code (`wa`, `tg`, …) or catalogue name.'),
  country: param('SMS-Activate country id (187 = United States, the default).'),
  maxPrice: param('Refuse (WRONG_MAX_PRICE:<price>) above this many dollars.'),
  id: param('Activation id.'),
  status: param('setStatus: 1 ready, 3 another code, 6 finish, 8 cancel.'),
  operator: param('Accepted and ignored.'),
  forward: param('Accepted and ignored.'),
});
type Params = Record<string, string | undefined>;

/** What each action needs of the key: buying needs the write scope, the rest read scopes. */
const SCOPE_OF: Record<Action, string> = {
  getBalance: 'wallet:read',
  getBalanceAndCashBack: 'wallet:read',
  getNumber: 'verifications:write',
  getNumberV2: 'verifications:write',
  setStatus: 'verifications:write',
  getStatus: 'verifications:read',
  getStatusV2: 'verifications:read',
  getFullSms: 'verifications:read',
  getPrices: 'verifications:read',
  getNumbersStatus: 'verifications:read',
  getCountries: 'verifications:read',
  getActiveActivations: 'verifications:read',
  getListOfActiveActivations: 'verifications:read',
};

/** Query and form body together, the first value of a repeated name (body wins). */
function paramsOf(request: FastifyRequest): Params {
  const merged: Params = {};
  for (const source of [request.query, request.body]) {
    if (!source || typeof source !== 'object') continue;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') merged[name] = first;
    }
  }
  return merged;
}

const isPurchase = (request: FastifyRequest) => {
  const action = paramsOf(request).action;
  return action === 'getNumber' || action === 'getNumberV2';
};

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function registerSmsActivateRoutes(app: FastifyInstance, deps: SmsActivateRoutesDeps): void {
  // Encapsulated so the form-body parser applies to this route only.
  void app.register(async (scope) => {
    await scope.register(formbody);
    scope.route({
      method: ['GET', 'POST'],
      url: '/stubs/handler_api.php',
      schema: {
        querystring: params,
        response: {
          200: z
            .union([z.string(), z.record(z.string(), z.unknown())])
            .describe('A text token (text/plain), or JSON for the V2 and list actions.'),
        },
        tags: ['sms-activate'],
        summary: 'SMS-Activate-compatible API (handler_api.php)',
        description:
          'The SMS-Activate protocol: `api_key` and `action` in the query or a form body; answers are ' +
          'text tokens such as `ACCESS_NUMBER:<id>:<phone>` or `NO_BALANCE` (JSON for getNumberV2, ' +
          'getStatusV2, getPrices, getNumbersStatus, getCountries and getActiveActivations), with HTTP ' +
          '200 even for refusals. See docs/sms-activate.md.',
      },
      config: {
        ownCredential: true,
        errors: [],
        rateLimits: [
          {
            // The REST purchase's own limit and counter: one budget per user whichever API buys.
            name: 'verification-purchase',
            points: async (request) =>
              (await deps.tiers.get(principalOf(request).tier)).purchaseRatePerMinute,
            durationSeconds: 60,
            key: 'user',
            applies: isPurchase,
          },
          { name: 'sms-activate', points: 600, durationSeconds: 60, key: 'user' },
        ],
      },
      preValidation: async (request) => {
        const apiKey = paramsOf(request).api_key;
        if (!apiKey || !apiKey.startsWith('nmk_')) throw unauthenticated('api_key is missing or invalid.');
        request.principal = await deps.authenticateApiKey(apiKey, request.ip);
      },
      errorHandler: (error, request, reply) => answerError(error, request, reply),
      handler: async (request, reply) => {
        const answer = await answerAction(deps.smsActivate, request);
        if (typeof answer === 'string') return reply.type('text/plain; charset=utf-8').send(answer);
        return reply.type('application/json; charset=utf-8').send(answer);
      },
    });
  });
}

async function answerAction(service: SmsActivateService, request: FastifyRequest): Promise<unknown> {
  const p = paramsOf(request);
  const action = p.action;
  if (!action || !isAction(action)) return 'BAD_ACTION';
  await requireScope(SCOPE_OF[action])(request);
  const principal = principalOf(request);
  const { userId } = principal;
  const rawKey = request.headers['idempotency-key'];
  const key = typeof rawKey === 'string' && IDEMPOTENCY_KEY.test(rawKey) ? `sms-activate:${rawKey}` : null;
  const number = { service: p.service, country: p.country, maxPrice: p.maxPrice };
  switch (action) {
    case 'getBalance':
    case 'getBalanceAndCashBack':
      return service.balance(userId);
    case 'getNumber':
      return service.getNumber(principal, number, key);
    case 'getNumberV2':
      return service.getNumberV2(principal, number, key);
    case 'getStatus':
      return service.getStatus(userId, p.id);
    case 'getStatusV2':
      return service.getStatusV2(userId, p.id);
    case 'getFullSms':
      return service.getFullSms(userId, p.id);
    case 'setStatus': {
      const wanted = statusRequestOf(p.status);
      return wanted ? service.setStatus(userId, p.id, wanted) : 'BAD_STATUS';
    }
    case 'getPrices':
      return service.getPrices(principal.tier, { service: p.service, country: p.country });
    case 'getNumbersStatus':
      return service.getNumbersStatus(principal.tier, { country: p.country });
    case 'getCountries':
      return service.getCountries();
    case 'getActiveActivations':
    case 'getListOfActiveActivations':
      return service.getActiveActivations(userId);
  }
}

/**
 * Refusals become the protocol's tokens with HTTP 200; what a client should retry later (rate
 * limits, an unreachable database) keeps its status and `Retry-After` with `ERROR_SQL`, the token
 * clients treat as a transient server error.
 */
function answerError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const { status, body, headers } = describeError(error);
  if (status >= 500) request.log.error({ err: error }, 'handler_api request failed');
  const code = body.error.code;
  const minPrice = (body.error.details?.price as { amount?: unknown } | undefined)?.amount;
  const token =
    code === 'not_found' && isPurchase(request)
      ? 'BAD_SERVICE'
      : tokenOfError(code, typeof minPrice === 'number' ? { minPriceCents: minPrice } : undefined);
  const transient = status === 429 || status >= 500;
  if (transient && headers) void reply.headers(headers);
  return reply
    .status(transient ? status : 200)
    .type('text/plain; charset=utf-8')
    .send(token);
}
