import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ADMIN_PREFIX, adminRoute, tags } from './common.js';
import type { AdminService } from '../service.js';
import { auditEntry, auditQuery, deliveryByProviderView, providersView } from '../views.js';

/** The audit log and the upstream providers' state. */
export function registerAdminOpsRoutes(app: FastifyInstance, admin: AdminService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    `${ADMIN_PREFIX}/audit-log`,
    {
      ...adminRoute(),
      schema: {
        tags,
        querystring: auditQuery,
        response: { 200: z.object({ data: z.array(auditEntry), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => admin.auditLog(request.query),
  );

  r.get(
    `${ADMIN_PREFIX}/providers`,
    { ...adminRoute(), schema: { tags, response: { 200: providersView } } },
    async () => admin.providers(),
  );

  r.get(
    `${ADMIN_PREFIX}/providers/delivery`,
    {
      ...adminRoute(),
      schema: {
        tags,
        summary: 'Delivery figures per service, country and provider (24 h and 7 days)',
        response: { 200: deliveryByProviderView },
      },
    },
    async () => admin.deliveryByProvider(),
  );
}
