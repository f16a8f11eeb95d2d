import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { forbidden, unauthenticated } from '../../../platform/errors.js';
import { principalOf, requireScope, requireSession, requireUser } from '../../../platform/http/guards.js';
import type { RouteRateLimit } from '../../../platform/http/rate-limit.js';
import { type AccountsService, publicUser } from '../service.js';
import { presentedRefreshToken, sessionCookies, tokensBody } from './cookies.js';
import {
  TOKEN_LIMITS,
  captcha,
  contextOf,
  email,
  opaqueToken,
  otp,
  password,
  tokensSchema,
  userSchema,
} from './shared.js';

/**
 * Per client address only. Per account there is no refusal (it would let anyone lock the owner
 * out): failures on an account make it ask for a captcha, a harder one as they pile up.
 */
const LOGIN_LIMITS: RouteRateLimit[] = [{ name: 'login-ip', points: 5, durationSeconds: 60, key: 'ip' }];

const sessionSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  expiresAt: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  current: z.boolean(),
});
const refreshBody = z.object({ refreshToken: opaqueToken.optional() }).nullish();

/** Sign-in, token refresh and sign-out (with the session cookies), the caller, their sessions. */
export function registerSessionRoutes(
  app: FastifyInstance,
  accounts: AccountsService,
  secure: boolean,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const cookies = sessionCookies(secure);

  r.post(
    '/api/v1/auth/login',
    {
      config: {
        rateLimits: LOGIN_LIMITS,
        errors: [
          'captcha_required',
          'invalid_credentials',
          'forbidden',
          'mfa_required',
          'mfa_invalid',
          'rate_limited',
        ],
      },
      schema: {
        tags: ['auth'],
        summary: 'Sign in; sets the session cookies',
        body: z.object({ email, password, captcha: captcha.optional(), otp: otp.optional() }),
        response: { 200: tokensSchema },
      },
    },
    async (request, reply) => {
      const issued = await accounts.login(request.body, contextOf(request));
      cookies.set(reply, issued);
      return tokensBody(issued);
    },
  );

  r.post(
    '/api/v1/auth/refresh',
    {
      config: { rateLimits: TOKEN_LIMITS, errors: ['unauthenticated', 'forbidden', 'csrf_failed'] },
      schema: {
        tags: ['auth'],
        summary: 'Rotate the refresh token (body or cookie)',
        body: refreshBody,
        response: { 200: tokensSchema },
      },
    },
    async (request, reply) => {
      const token = presentedRefreshToken(request, request.body);
      if (!token) throw unauthenticated('A refresh token is required.');
      try {
        const issued = await accounts.refresh(token, contextOf(request));
        cookies.set(reply, issued);
        return tokensBody(issued);
      } catch (error) {
        cookies.clear(reply);
        throw error;
      }
    },
  );

  r.post(
    '/api/v1/auth/logout',
    {
      config: { rateLimits: TOKEN_LIMITS, errors: ['csrf_failed'] },
      schema: {
        tags: ['auth'],
        summary: 'End this session',
        body: refreshBody,
        response: { 204: z.undefined().describe('Signed out; the session cookies are cleared.') },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      // Without a principal this still signs out (by refresh token, or just clears the cookies).
      if (principal?.via === 'api_key') {
        throw forbidden('An API key has no session to end: revoke the key instead.');
      }
      let sessionId = principal?.sessionId;
      if (!sessionId) {
        const token = presentedRefreshToken(request, request.body);
        if (token) sessionId = await accounts.sessionIdOfRefreshToken(token);
      }
      if (sessionId) await accounts.logout(sessionId, principal?.userId ?? null, contextOf(request));
      cookies.clear(reply);
      return reply.status(204).send();
    },
  );

  r.get(
    '/api/v1/me',
    {
      preValidation: [requireUser, requireScope('account:read')],
      config: { errors: ['unauthenticated'] },
      schema: { tags: ['auth'], response: { 200: userSchema } },
    },
    async (request) => {
      const user = await accounts.findUserById(principalOf(request).userId);
      // The caller's own row is gone (deleted after authentication): they are nobody now.
      if (!user) throw unauthenticated();
      return publicUser(user);
    },
  );

  r.get(
    '/api/v1/sessions',
    {
      preValidation: requireSession,
      schema: {
        tags: ['auth'],
        response: { 200: z.object({ data: z.array(sessionSchema), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return { data: await accounts.listSessions(principal.userId, principal.sessionId), nextCursor: null };
    },
  );

  r.delete(
    '/api/v1/sessions/:id',
    {
      preValidation: requireSession,
      config: { errors: ['not_found'] },
      schema: {
        tags: ['auth'],
        params: z.object({ id: z.uuid() }),
        response: { 204: z.undefined().describe('The session is signed out.') },
      },
    },
    async (request, reply) => {
      await accounts.revokeSessionOf(principalOf(request).userId, request.params.id, contextOf(request));
      return reply.status(204).send();
    },
  );
}
