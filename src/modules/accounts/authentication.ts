import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../platform/config.js';
import { AppError, forbidden, unauthenticated } from '../../platform/errors.js';
import type { Principal } from '../../platform/http/principal.js';
import { type ApiKeysService, ipAllowed } from '../api-keys/index.js';
import { createAccessTokens } from './access-tokens.js';
import { constantTimeEqual } from './secrets.js';
import type { AccountsService, User } from './service.js';

/**
 * The one authentication hook. A request may carry the browser's session cookie, an access JWT
 * (`Authorization: Bearer eyJ…`) or an API key (`Authorization: Bearer nmk_…`); whichever it is,
 * the user is loaded on every request, so revocation and suspension take effect at once.
 * A bad `Authorization` header is refused (401); a stale cookie is ignored (the route decides).
 * Cookie-authenticated state changes need the CSRF double-submit header.
 */
export const ACCESS_COOKIE = 'nmk_access';
export const REFRESH_COOKIE = 'nmk_refresh';
export const CSRF_COOKIE = 'nmk_csrf';
const CSRF_HEADER = 'x-csrf-token';
export const REFRESH_COOKIE_PATH = '/api/v1/auth';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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

const principalOf = (user: User, via: Principal['via'], extra: Partial<Principal>): Principal => ({
  userId: user.id,
  email: user.email,
  tier: user.tier,
  role: user.role,
  emailConfirmed: user.emailConfirmedAt !== null,
  mfaEnabled: user.mfaEnabledAt !== null,
  via,
  ...extra,
});

const refuseSuspended = (user: User) => {
  if (user.status !== 'active') throw forbidden('This account is suspended.');
};

/**
 * The principal of an API key, with every check the Authorization header gets (revoked, user gone
 * or suspended, address allow-list). Also for routes whose protocol carries the key elsewhere
 * (`api_key=` of the SMS-Activate-compatible API).
 */
export function createApiKeyAuthentication(deps: Pick<AuthenticationDeps, 'accounts' | 'apiKeys'>) {
  return async (credential: string, ip: string): Promise<Principal> => {
    const key = await deps.apiKeys.findLive(credential);
    if (!key) throw unauthenticated('The API key is invalid or revoked.');
    const user = await deps.accounts.findUserById(key.userId);
    if (!user) throw unauthenticated('The API key is invalid or revoked.');
    refuseSuspended(user);
    if (!ipAllowed(ip, key.allowedCidrs)) throw forbidden('This API key may not be used from this address.');
    return principalOf(user, 'api_key', { apiKeyId: key.id, scopes: key.scopes });
  };
}
export type ApiKeyAuthentication = ReturnType<typeof createApiKeyAuthentication>;

export interface AuthenticationDeps {
  config: Pick<Config, 'appSecret' | 'appSecretFallbacks'>;
  accounts: AccountsService;
  apiKeys: ApiKeysService;
}

/** Sets `request.principal` (and checks CSRF) on every request; register before the routes. */
export async function registerAuthentication(app: FastifyInstance, deps: AuthenticationDeps): Promise<void> {
  const { accounts } = deps;
  const tokens = createAccessTokens(deps.config);
  if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie);

  const authenticateApiKey = createApiKeyAuthentication(deps);

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.ownCredential) return;
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer +([\x21-\x7e]{1,4096})$/i.exec(authorization.trim());
      if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".');
      const credential = match[1]!;
      if (credential.startsWith('nmk_')) {
        request.principal = await authenticateApiKey(credential, request.ip);
        return;
      }
      const claims = await tokens.verify(credential);
      const live = claims && (await accounts.sessionWithUser(claims.sessionId, claims.userId));
      if (!live) throw unauthenticated('The access token is invalid, expired or revoked.');
      refuseSuspended(live.user);
      request.principal = principalOf(live.user, 'access_token', { sessionId: live.session.id });
      return;
    }

    const cookie = request.cookies[ACCESS_COOKIE];
    if (!cookie) return;
    const claims = await tokens.verify(cookie);
    const live = claims && (await accounts.sessionWithUser(claims.sessionId, claims.userId));
    if (!live) return;
    refuseSuspended(live.user);
    if (!SAFE_METHODS.has(request.method) && !csrfTokenMatches(request)) throw csrfFailed();
    request.principal = principalOf(live.user, 'session', { sessionId: live.session.id });
  });
}
