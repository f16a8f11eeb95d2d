import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { validationFailed } from '../../../platform/errors.js';
import { ADMIN_PREFIX, actorOf, adminRoute, tags } from './common.js';
import type { AdminService } from '../service.js';
import {
  adjustmentBody,
  adjustmentView,
  idParams,
  invariantReport,
  pageQuery,
  statementLine,
} from '../views.js';

/** A user's ledger statement, balance adjustments, and the ledger's invariants. */
export function registerAdminMoneyRoutes(app: FastifyInstance, admin: AdminService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    `${ADMIN_PREFIX}/users/:id/ledger`,
    {
      ...adminRoute(['not_found']),
      schema: {
        tags,
        params: idParams,
        querystring: pageQuery,
        response: { 200: z.object({ data: z.array(statementLine), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => admin.ledgerStatement(request.params.id, request.query),
  );

  r.post(
    `${ADMIN_PREFIX}/users/:id/adjustments`,
    {
      ...adminRoute(['not_found', 'insufficient_funds'], { idempotent: true }),
      schema: {
        tags,
        description:
          'Credits (positive amount) or debits (negative) the wallet with a reason. Needs `Idempotency-Key`.',
        params: idParams,
        body: adjustmentBody,
        response: { 201: adjustmentView },
      },
    },
    async (request, reply) => {
      // The ledger's own key is derived from this one: without it a retry could post twice.
      if (request.idempotencyKey === null) throw validationFailed('An Idempotency-Key header is required.');
      const adjustment = await admin.adjustBalance(actorOf(request), {
        userId: request.params.id,
        amount: request.body.amount,
        reason: request.body.reason,
        requestKey: request.idempotencyKey,
      });
      return reply.status(201).send(adjustment);
    },
  );

  r.get(
    `${ADMIN_PREFIX}/invariants`,
    { ...adminRoute(), schema: { tags, response: { 200: invariantReport } } },
    async () => admin.invariants(),
  );
}
