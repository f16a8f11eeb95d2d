import type { FastifyInstance } from 'fastify';
import type { AdminService } from './service.js';
import { registerAdminMoneyRoutes } from './routes/money.js';
import { registerAdminOpsRoutes } from './routes/ops.js';
import { registerAdminPricingRoutes } from './routes/pricing.js';
import { registerAdminRefundRoutes } from './routes/refunds.js';
import { registerAdminRoutingRoutes } from './routes/routing.js';
import { registerAdminUserRoutes } from './routes/users.js';

export { ADMIN_PREFIX } from './routes/common.js';

export interface AdminRoutesDeps {
  admin: AdminService;
}

/** The administration API (SPEC §8), by area: users, money, refunds, pricing and tiers, operations. */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminRoutesDeps): void {
  registerAdminUserRoutes(app, deps.admin);
  registerAdminMoneyRoutes(app, deps.admin);
  registerAdminRefundRoutes(app, deps.admin);
  registerAdminPricingRoutes(app, deps.admin);
  registerAdminOpsRoutes(app, deps.admin);
  registerAdminRoutingRoutes(app, deps.admin);
}
