import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../../src/platform/http/principal.js';

/**
 * For module tests that are about something other than authentication: a request carrying
 * `x-test-principal` (JSON) is treated as that principal. Never registered outside tests.
 */
export function trustTestPrincipalHeader(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const header = request.headers['x-test-principal'];
    if (typeof header === 'string') request.principal = JSON.parse(header) as Principal;
  });
}

export function testPrincipal(overrides: Partial<Principal> = {}): Principal {
  const userId = overrides.userId ?? randomUUID();
  return {
    userId,
    email: `${userId.slice(0, 8)}@example.test`,
    tier: 'payg',
    role: 'user',
    emailConfirmed: true,
    mfaEnabled: false,
    via: 'access_token',
    ...overrides,
  };
}

export const asPrincipal = (principal: Principal) => ({ 'x-test-principal': JSON.stringify(principal) });
