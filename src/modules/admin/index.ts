/** The administration's public surface (SPEC §8). */
export { ADMIN_PREFIX, type AdminRoutesDeps, registerAdminRoutes } from './routes.js';
export { type AdminDeps, type AdminService, createAdminService } from './service.js';
