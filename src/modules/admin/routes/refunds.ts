import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { validationFailed } from '../../../platform/errors.js';
import { ADMIN_PREFIX, actorOf, adminRoute, tags } from './common.js';
import type { AdminService } from '../service.js';
import {
  accountStanding,
  clearFlagBody,
  idParams,
  refundBody,
  refundView,
  referenceParams,
  topupHistory,
} from '../views.js';

/** Refunds of top-ups through Paystack, a top-up's refunds and chargebacks, and the wallet flag they raise. */
export function registerAdminRefundRoutes(app: FastifyInstance, admin: AdminService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    `${ADMIN_PREFIX}/topups/:reference`,
    {
      ...adminRoute(['not_found']),
      schema: { tags, params: referenceParams, response: { 200: topupHistory } },
    },
    async (request) => admin.topupHistory(request.params.reference),
  );

  r.post(
    `${ADMIN_PREFIX}/topups/:reference/refunds`,
    {
      ...adminRoute(['not_found', 'not_refundable', 'provider_rejected', 'provider_unavailable'], {
        idempotent: true,
      }),
      schema: {
        tags,
        description:
          'Refunds a credited top-up through Paystack, in full or `amount` of it (USD cents), with a reason. ' +
          'Needs `Idempotency-Key`. The wallet gives the money back once Paystack reports the refund ' +
          'processed; what was already spent is recorded as owed and the account is flagged.',
        params: referenceParams,
        body: refundBody,
        response: { 201: refundView },
      },
    },
    async (request, reply) => {
      // The refund's own key is derived from this one: without it a retry could refund twice.
      if (request.idempotencyKey === null) throw validationFailed('An Idempotency-Key header is required.');
      const refund = await admin.refundTopup(actorOf(request), {
        reference: request.params.reference,
        amountUsdCents: request.body.amount?.amount,
        reason: request.body.reason,
        requestKey: request.idempotencyKey,
      });
      return reply.status(201).send(refund);
    },
  );

  r.post(
    `${ADMIN_PREFIX}/users/:id/clear-flag`,
    {
      ...adminRoute(['not_found']),
      schema: {
        tags,
        description: 'Clears the flag a refund or chargeback raised on the wallet, with a reason.',
        params: idParams,
        body: clearFlagBody,
        response: { 200: accountStanding },
      },
    },
    async (request) => admin.clearAccountFlag(actorOf(request), request.params.id, request.body.reason),
  );
}
