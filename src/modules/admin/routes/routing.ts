import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ADMIN_PREFIX, actorOf, adminRoute, tags } from './common.js';
import type { AdminService } from '../service.js';
import { routingBody, routingParams, routingRuleView, routingView } from '../views.js';

/** Provider routing: which upstreams may sell a service (pin one, or disable some). */
export function registerAdminRoutingRoutes(app: FastifyInstance, admin: AdminService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    `${ADMIN_PREFIX}/providers/routing`,
    { ...adminRoute(), schema: { tags, response: { 200: routingView } } },
    async () => admin.routing(),
  );

  r.put(
    `${ADMIN_PREFIX}/providers/routing/:service`,
    {
      ...adminRoute(),
      schema: {
        tags,
        description:
          'Sets the routing rule of a service: `pinned` sells it only from that provider (no failover), ' +
          '`disabled` never from those. Both empty: routed among every configured provider again.',
        params: routingParams,
        body: routingBody,
        response: { 200: routingRuleView },
      },
    },
    async (request) => admin.setRouting(actorOf(request), request.params.service, request.body),
  );
}
