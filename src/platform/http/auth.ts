import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAccessTokens } from '../../modules/accounts/access-tokens.js';
import { constantTimeEqual } from '../../modules/accounts/secrets.js';
import { type User, findUserById, liveSessionWithUser } from '../../modules/accounts/service.js';
import { ipAllowed } from '../../modules/api-keys/domain.js';
import { findLiveApiKey } from '../../modules/api-keys/service.js';
import { AppError, forbidden, unauthenticated } from '../errors.js';
import type { PlatformDeps } from '../module.js';
import type { Principal } from './principal.js';

/**
 * The one authentication plugin. A request may carry the browser's session cookie, an access JWT
 * (`Authorization: Bearer eyJ…`) or an API key (`Authorization: Bearer nmk_…`); whichever it is,
 * the user is loaded on every request, so revocation and suspension take effect at once.
 * A bad `Authorization` header is refused (401); a stale cookie is ignored (the route decides).
 * Cookie-authenticated state changes need the CSRF double-submit header.
 */
export const ACCESS_COOKIE = 'nmk_access';
export const REFRESH_COOKIE = 'nmk_refresh';
export const CSRF_COOKIE = 'nmk_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const REFRESH_COOKIE_PATH = '/api/v1/auth';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const mfaEnabled = new WeakMap<FastifyRequest, boolean>();

export const csrfFailed = () =>
  new AppError(403, 'csrf_failed', 'The CSRF token is missing or does not match.');

/** True when the request carries the CSRF header matching the CSRF cookie. */
export function csrfTokenMatches(request: FastifyRequest): boolean {
  const header = request.headers[CSRF_HEADER];
  const cookie = request.cookies[CSRF_COOKIE];
  return (
    typeof header === 'string' &&
    typeof cookie === 'string' &&
    cookie.length >= 16 &&
    constantTimeEqual(header, cookie)
  );
}

export async function registerAuthentication(app: FastifyInstance, deps: PlatformDeps): Promise<void> {
  const db = deps.database.db;
  const tokens = createAccessTokens(deps.config.appSecret);
  if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie);

  const principalOf = (user: User, via: Principal['via'], extra: Partial<Principal>): Principal => ({
    userId: user.id,
    email: user.email,
    tier: user.tier,
    role: user.role === 'admin' ? 'admin' : 'user',
    emailConfirmed: user.emailConfirmedAt !== null,
    via,
    ...extra,
  });

  const refuseSuspended = (user: User) => {
    if (user.status !== 'active') throw forbidden('This account is suspended.');
  };

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.ownCredential) return;
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(authorization.trim());
      if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".');
      const credential = match[1]!;
      if (credential.startsWith('nmk_')) {
        const key = await findLiveApiKey(db, credential);
        if (!key) throw unauthenticated('The API key is invalid or revoked.');
        const user = await findUserById(db, key.userId);
        if (!user) throw unauthenticated('The API key is invalid or revoked.');
        refuseSuspended(user);
        if (!ipAllowed(request.ip, key.allowedCidrs))
          throw forbidden('This API key may not be used from this address.');
        request.principal = principalOf(user, 'api_key', { apiKeyId: key.id, scopes: key.scopes });
        mfaEnabled.set(request, user.mfaEnabledAt !== null);
        return;
      }
      const claims = await tokens.verify(credential);
      const live = claims && (await liveSessionWithUser(db, claims.sessionId, claims.userId));
      if (!live) throw unauthenticated('The access token is invalid, expired or revoked.');
      refuseSuspended(live.user);
      request.principal = principalOf(live.user, 'access_token', { sessionId: live.session.id });
      mfaEnabled.set(request, live.user.mfaEnabledAt !== null);
      return;
    }

    const cookie = request.cookies[ACCESS_COOKIE];
    if (!cookie) return;
    const claims = await tokens.verify(cookie);
    const live = claims && (await liveSessionWithUser(db, claims.sessionId, claims.userId));
    if (!live) return;
    refuseSuspended(live.user);
    if (!SAFE_METHODS.has(request.method) && !csrfTokenMatches(request)) throw csrfFailed();
    request.principal = principalOf(live.user, 'session', { sessionId: live.session.id });
    mfaEnabled.set(request, live.user.mfaEnabledAt !== null);
  });
}

/** Route guard (preValidation, so it runs before validation, rate limits and idempotency): 401 without a principal (suspended users never get one: 403 in the plugin). */
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
  if (!mfaEnabled.get(request))
    throw forbidden('Administrators must turn on two-factor authentication first.');
}
