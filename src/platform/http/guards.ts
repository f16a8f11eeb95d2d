import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, forbidden, unauthenticated } from '../errors.js';
import type { Principal } from './principal.js';

/*
 * Who may call a route. The principal is set by the accounts module's authentication hook; these
 * guards only read it, so the platform needs no module to authorise a request.
 */

/** Route guard (preValidation, so it runs before validation, rate limits and idempotency): 401 without a principal (suspended users never get one: 403 in the authentication hook). */
export async function requireUser(request: FastifyRequest, _reply?: FastifyReply): Promise<void> {
  if (!request.principal) throw unauthenticated();
}

/** The principal of a guarded route (after `requireUser`). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated();
  return request.principal;
}

/** Route guard (preValidation, so it runs before validation, rate limits and idempotency): API keys must carry `scope`; sessions and access tokens may do what their role allows. */
export function requireScope(scope: string) {
  return async (request: FastifyRequest): Promise<void> => {
    const principal = request.principal;
    if (!principal) throw unauthenticated();
    if (principal.via === 'api_key' && !principal.scopes?.includes(scope)) {
      throw forbidden(`This API key lacks the "${scope}" scope.`);
    }
  };
}

/** Route guard (preValidation, so it runs before validation, rate limits and idempotency): the caller's e-mail address is confirmed (before any money moves). */
export async function requireConfirmedEmail(request: FastifyRequest): Promise<void> {
  const principal = request.principal;
  if (!principal) throw unauthenticated();
  if (!principal.emailConfirmed) {
    throw new AppError(
      403,
      'email_unconfirmed',
      'Confirm your e-mail address first: follow the link we sent you.',
    );
  }
}

/** Route guard (preValidation, so it runs before validation, rate limits and idempotency): a signed-in person, not an API key (account, key and session management). */
export async function requireSession(request: FastifyRequest): Promise<void> {
  const principal = request.principal;
  if (!principal) throw unauthenticated();
  if (principal.via === 'api_key') throw forbidden('This action needs a signed-in session, not an API key.');
}

/** Route guard (preValidation, so it runs before validation, rate limits and idempotency): the admin role, signed in (not by API key), with two-factor authentication on. */
export async function requireAdmin(request: FastifyRequest): Promise<void> {
  await requireSession(request);
  if (request.principal!.role !== 'admin') throw forbidden('Administrators only.');
  if (!request.principal!.mfaEnabled)
    throw new AppError(
      403,
      'mfa_setup_required',
      'Administrators must turn on two-factor authentication first.',
    );
}
