/** The API keys' public surface. */
export { ipAllowed } from './domain.js';
export { type ApiKeysRoutesDeps, registerApiKeysRoutes } from './routes.js';
export { type ApiKey, type ApiKeysDeps, type ApiKeysService, createApiKeysService } from './service.js';
