import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ACCESS_TOKEN_SECONDS } from '../access-tokens.js';
import {
  ACCESS_COOKIE,
  CSRF_COOKIE,
  REFRESH_COOKIE,
  REFRESH_COOKIE_PATH,
  csrfFailed,
  csrfTokenMatches,
} from '../authentication.js';
import { type IssuedTokens, REFRESH_TOKEN_SECONDS } from '../service.js';

/** The browser's session: access and refresh cookies (httpOnly) and the CSRF cookie its script echoes. */
export function sessionCookies(secure: boolean) {
  function set(reply: FastifyReply, issued: IssuedTokens) {
    const base = { httpOnly: true, secure, sameSite: 'lax' as const };
    void reply.setCookie(ACCESS_COOKIE, issued.accessToken, {
      ...base,
      path: '/',
      maxAge: ACCESS_TOKEN_SECONDS,
    });
    void reply.setCookie(REFRESH_COOKIE, issued.refreshToken, {
      ...base,
      path: REFRESH_COOKIE_PATH,
      maxAge: REFRESH_TOKEN_SECONDS,
    });
    // Readable by the page's script, which echoes it in `x-csrf-token` (double submit).
    void reply.setCookie(CSRF_COOKIE, randomBytes(24).toString('base64url'), {
      httpOnly: false,
      secure,
      sameSite: 'lax',
      path: '/',
      maxAge: REFRESH_TOKEN_SECONDS,
    });
  }
  function clear(reply: FastifyReply) {
    void reply.clearCookie(ACCESS_COOKIE, { path: '/' });
    void reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH });
    void reply.clearCookie(CSRF_COOKIE, { path: '/' });
  }
  return { set, clear };
}

/** The refresh token from the body, else from the cookie (then the CSRF header is required). */
export function presentedRefreshToken(
  request: FastifyRequest,
  body: { refreshToken?: string | undefined } | null | undefined,
): string | undefined {
  if (body?.refreshToken) return body.refreshToken;
  const cookie = request.cookies[REFRESH_COOKIE];
  if (!cookie) return undefined;
  if (!csrfTokenMatches(request)) throw csrfFailed();
  return cookie;
}

export const tokensBody = (issued: IssuedTokens) => ({
  accessToken: issued.accessToken,
  refreshToken: issued.refreshToken,
  expiresIn: issued.expiresIn,
  user: issued.user,
});
