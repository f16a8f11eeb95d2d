import type { FastifyContextConfig, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../../platform/errors.js';
import { principalOf, requireAdmin } from '../../../platform/http/guards.js';
import type { AdminActor } from '../service.js';

/** Every admin route lives under this prefix (the route tests iterate over what is registered here). */
export const ADMIN_PREFIX = '/api/v1/admin';

export const tags = ['admin'];

/**
 * What every admin route shares: the admin guard (role, a signed-in session, MFA on; API keys are
 * refused) and the code that guard adds to the route's own.
 */
export function adminRoute(errors: readonly ErrorCode[] = [], config: FastifyContextConfig = {}) {
  return {
    preValidation: [requireAdmin],
    config: { ...config, errors: ['mfa_setup_required', ...errors] as ErrorCode[] },
  };
}

export const actorOf = (request: FastifyRequest): AdminActor => ({
  userId: principalOf(request).userId,
  ip: request.ip ?? null,
});
