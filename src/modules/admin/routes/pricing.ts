import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ADMIN_PREFIX, actorOf, adminRoute, tags } from './common.js';
import type { AdminService } from '../service.js';
import { markupsBody, markupsView, tierParams, tierPatchBody, tierView } from '../views.js';

/** Per-service markups and the tiers' terms (SPEC §6: the tiers table is editable by admins). */
export function registerAdminPricingRoutes(app: FastifyInstance, admin: AdminService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    `${ADMIN_PREFIX}/pricing/markups`,
    { ...adminRoute(), schema: { tags, response: { 200: markupsView } } },
    async () => admin.markups(),
  );

  r.put(
    `${ADMIN_PREFIX}/pricing/markups`,
    {
      ...adminRoute(),
      schema: {
        tags,
        description: 'Replaces the per-service markup overrides; services left out use the default markup.',
        body: markupsBody,
        response: { 200: markupsView },
      },
    },
    async (request) => admin.replaceMarkups(actorOf(request), request.body),
  );

  r.get(
    `${ADMIN_PREFIX}/tiers`,
    { ...adminRoute(), schema: { tags, response: { 200: z.object({ data: z.array(tierView) }) } } },
    async () => admin.listTiers(),
  );

  r.patch(
    `${ADMIN_PREFIX}/tiers/:name`,
    {
      ...adminRoute(['not_found']),
      schema: { tags, params: tierParams, body: tierPatchBody, response: { 200: tierView } },
    },
    async (request) => admin.updateTier(actorOf(request), request.params.name, request.body),
  );
}
