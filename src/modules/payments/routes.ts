import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireConfirmedEmail, requireScope, requireUser } from '../../platform/http/guards.js';
import { AppError } from '../../platform/errors.js';
import { MAX_TOPUP_CENTS, MIN_TOPUP_CENTS, isTopupReference, publicStatus } from './domain.js';
import type { PaymentsService } from './service.js';

const canReadWallet = requireScope('wallet:read');
/** Starting a top-up: an API key needs `wallet:write` (sessions and access tokens may). */
const canWriteWallet = requireScope('wallet:write');

/**
 * Wallet and top-up routes, and the Paystack webhook. HTTP only: schemas, who may call, and the
 * service call.
 */

const money = z.object({ amount: z.number().int(), currency: z.string() });
const topupView = z.object({
  reference: z.string(),
  status: z.string(),
  amount: money,
  charge: money,
  exchangeRate: z.object({ ngnPerUsd: z.number().int() }).nullable(),
  authorizationUrl: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});
const page = z.object({
  cursor: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .transform((v) => (v === undefined ? undefined : Number(v))),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** Per-route limits, enforced by the security layer (src/platform/http/rate-limit.ts). */
const createTopupConfig: FastifyContextConfig = {
  idempotent: true,
  errors: ['email_unconfirmed', 'idempotency_key_in_use', 'provider_unavailable'],
  rateLimits: [{ name: 'wallet.topups.create', points: 5, durationSeconds: 60, key: 'user' }],
};
/** The body stays raw (no body schema): Paystack signs its exact bytes. */
const paystackHookOptions = {
  config: { errors: ['invalid_signature', 'provider_unavailable'] },
  schema: { response: { 200: z.object({ received: z.literal(true) }) } },
} satisfies { config: FastifyContextConfig; schema: unknown };
const callbackConfig: FastifyContextConfig = {
  rateLimits: [{ name: 'wallet.topups.callback', points: 30, durationSeconds: 60, key: 'ip' }],
};

export interface PaymentsRoutesDeps {
  payments: PaymentsService;
}

export function registerPaymentsRoutes(app: FastifyInstance, deps: PaymentsRoutesDeps): void {
  const service = deps.payments;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/wallet',
    {
      preValidation: [requireUser, canReadWallet],
      schema: {
        response: {
          200: z.object({
            balance: money,
            held: money,
            includedUsage: z.object({ freeVerifications: z.number().int() }),
          }),
        },
      },
    },
    async (request) => service.walletOverview(principalOf(request).userId),
  );

  r.get(
    '/api/v1/wallet/statement',
    {
      preValidation: [requireUser, canReadWallet],
      schema: {
        querystring: page,
        response: {
          200: z.object({
            data: z.array(
              z.object({
                id: z.string(),
                transactionId: z.string(),
                type: z.string(),
                amount: money,
                balanceAfter: money,
                memo: z.string(),
                reference: z.string().nullable(),
                createdAt: z.string(),
              }),
            ),
            nextCursor: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => service.walletStatement(principalOf(request).userId, request.query),
  );

  r.post(
    '/api/v1/wallet/topups',
    {
      preValidation: [requireUser, canWriteWallet, requireConfirmedEmail],
      config: createTopupConfig,
      schema: {
        // Unknown fields (e.g. `metadata`) are dropped: the amount is only ever this integer.
        body: z.object({
          amount: z.number().int().min(MIN_TOPUP_CENTS).max(MAX_TOPUP_CENTS),
          currency: z.enum(['USD', 'NGN']).default('USD'),
        }),
        response: { 201: topupView },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const topup = await service.initializeTopup({
        userId: principal.userId,
        email: principal.email,
        amountUsdCents: request.body.amount,
        currency: request.body.currency,
        requestKey: request.idempotencyKey,
      });
      return reply.code(201).send(topup);
    },
  );

  r.get(
    '/api/v1/wallet/topups',
    {
      preValidation: [requireUser, canReadWallet],
      schema: {
        querystring: page,
        response: { 200: z.object({ data: z.array(topupView), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => service.listTopups(principalOf(request).userId, request.query),
  );

  // The browser comes back from the Paystack checkout here (no session needed: it only verifies).
  r.get(
    '/api/v1/wallet/topups/callback',
    {
      config: callbackConfig,
      schema: {
        querystring: z.object({
          reference: z.string().max(100).optional(),
          trxref: z.string().max(100).optional(),
        }),
        response: {
          302: z
            .undefined()
            .describe('Back to the wallet page: `/wallet?topup=<reference>&status=<status>`.'),
        },
      },
    },
    async (request, reply) => {
      const reference = request.query.reference ?? request.query.trxref ?? '';
      const target = new URLSearchParams();
      if (!isTopupReference(reference)) {
        target.set('status', 'unknown');
        return reply.redirect(`/wallet?${target.toString()}`, 302);
      }
      const result = await service.settleTopup(reference, 'callback');
      target.set('topup', reference);
      target.set('status', result.status === null ? 'unknown' : publicStatus(result.status));
      return reply.redirect(`/wallet?${target.toString()}`, 302);
    },
  );

  r.get(
    '/api/v1/wallet/topups/:reference',
    {
      preValidation: [requireUser, canReadWallet],
      config: { errors: ['not_found'] },
      schema: { params: z.object({ reference: z.string().max(100) }), response: { 200: topupView } },
    },
    async (request) => service.topupForUser(principalOf(request).userId, request.params.reference),
  );

  // Paystack signs the exact body bytes: this scope keeps JSON bodies raw.
  app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );
    scope.post('/api/v1/hooks/paystack', paystackHookOptions, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const accepted = await service.handleWebhook(raw, request.headers['x-paystack-signature']);
      // The same code as the TextVerified hook's refusal.
      if (!accepted) throw new AppError(401, 'invalid_signature', 'The webhook signature is not valid.');
      return reply.code(200).send({ received: true });
    });
  });
}
