import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { unauthenticated } from '../../platform/errors.js';
import type { Config } from '../../platform/config.js';
import { principalOf, requireScope, requireSession, requireUser } from '../../platform/http/guards.js';
import type { RouteRateLimit } from '../../platform/http/rate-limit.js';
import { ACCESS_TOKEN_SECONDS } from './access-tokens.js';
import {
  ACCESS_COOKIE,
  CSRF_COOKIE,
  REFRESH_COOKIE,
  REFRESH_COOKIE_PATH,
  csrfFailed,
  csrfTokenMatches,
} from './authentication.js';
import { MAX_CAPTCHA_LEVEL } from './captcha.js';
import {
  type IssuedTokens,
  REFRESH_TOKEN_SECONDS,
  SECRET_CHECKS_PER_USER,
  type AccountsService,
  normalizeEmail,
  publicUser,
} from './service.js';

const email = z.string().trim().min(3).max(254).email();
// Length and commonness are checked by the password policy, which gives the clear message.
const password = z.string().min(1).max(1024);
const captcha = z.string().min(1).max(4096);
const otp = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'must be a 6-digit code');

const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  emailConfirmed: z.boolean(),
  role: z.enum(['user', 'admin']),
  status: z.enum(['active', 'suspended']),
  tier: z.string(),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
});
/** An ALTCHA v2 challenge (altcha-lib's `Challenge`, field for field: unlisted fields are dropped). */
const captchaChallengeSchema = z.object({
  parameters: z.object({
    algorithm: z.string(),
    nonce: z.string(),
    salt: z.string(),
    cost: z.number(),
    keyLength: z.number(),
    keyPrefix: z.string(),
    keySignature: z.string().optional(),
    memoryCost: z.number().optional(),
    parallelism: z.number().optional(),
    expiresAt: z.number().optional(),
    data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  }),
  codeChallenge: z
    .object({ image: z.string(), audio: z.string().optional(), length: z.number().optional() })
    .optional(),
  signature: z.string().optional(),
});
const tokensSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
  user: userSchema,
});

const emailKey = (request: FastifyRequest) => {
  const value = (request.body as { email?: unknown } | undefined)?.email;
  return typeof value === 'string' ? normalizeEmail(value).slice(0, 254) : undefined;
};
/**
 * Per client address only. Per account there is no refusal (it would let anyone lock the owner
 * out): failures on an account make it ask for a captcha, a harder one as they pile up.
 */
const LOGIN_LIMITS: RouteRateLimit[] = [{ name: 'login-ip', points: 5, durationSeconds: 60, key: 'ip' }];
const REGISTER_LIMITS: RouteRateLimit[] = [
  { name: 'register-ip', points: 3, durationSeconds: 3600, key: 'ip' },
];
const FORGOT_LIMITS: RouteRateLimit[] = [
  { name: 'password-forgot-ip', points: 5, durationSeconds: 3600, key: 'ip' },
  { name: 'password-forgot-account', points: 3, durationSeconds: 3600, key: emailKey },
];
/** No captcha on this one: these limits keep it from being a mail cannon. */
const RESEND_LIMITS: RouteRateLimit[] = [
  { name: 'email-resend-ip', points: 5, durationSeconds: 3600, key: 'ip' },
  { name: 'email-resend-account', points: 3, durationSeconds: 3600, key: emailKey },
];
const RESET_LIMITS: RouteRateLimit[] = [
  { name: 'password-reset-ip', points: 10, durationSeconds: 3600, key: 'ip' },
];
/** Wrong current passwords cost a guess each: a stolen access token cannot brute-force the password. */
const CHANGE_PASSWORD_LIMITS: RouteRateLimit[] = [
  { name: 'password-change-user', ...SECRET_CHECKS_PER_USER, key: 'user' },
];
const TOKEN_LIMITS: RouteRateLimit[] = [
  { name: 'auth-token-ip', points: 30, durationSeconds: 60, key: 'ip' },
];

const contextOf = (request: FastifyRequest) => ({
  ip: request.ip ?? null,
  userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
});

/** The routes of SPEC §13 "auth": sign-up, sign-in, tokens, sessions, MFA, captcha, me. */
export interface AccountsRoutesDeps {
  config: Pick<Config, 'isProduction'>;
  accounts: AccountsService;
}

export function registerAccountsRoutes(app: FastifyInstance, deps: AccountsRoutesDeps): void {
  const { accounts } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const secure = deps.config.isProduction;

  function setSessionCookies(reply: FastifyReply, issued: IssuedTokens) {
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
  function clearSessionCookies(reply: FastifyReply) {
    void reply.clearCookie(ACCESS_COOKIE, { path: '/' });
    void reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH });
    void reply.clearCookie(CSRF_COOKIE, { path: '/' });
  }
  const tokensBody = (issued: IssuedTokens) => ({
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    expiresIn: issued.expiresIn,
    user: issued.user,
  });
  /** The refresh token from the body, else from the cookie (then the CSRF header is required). */
  function presentedRefreshToken(
    request: FastifyRequest,
    body: { refreshToken?: string | undefined } | null | undefined,
  ) {
    if (body?.refreshToken) return body.refreshToken;
    const cookie = request.cookies[REFRESH_COOKIE];
    if (!cookie) return undefined;
    if (!csrfTokenMatches(request)) throw csrfFailed();
    return cookie;
  }

  r.get(
    '/api/v1/captcha/challenge',
    {
      schema: {
        tags: ['auth'],
        summary: 'A proof-of-work captcha challenge (ALTCHA)',
        description:
          'A sign-in refused with `captcha_required` names the `captchaLevel` it needs in `error.details`; ask for a challenge of that level.',
        querystring: z.object({ level: z.coerce.number().int().min(0).max(MAX_CAPTCHA_LEVEL).default(0) }),
        response: { 200: captchaChallengeSchema },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return accounts.captcha.challenge(request.query.level);
    },
  );

  r.post(
    '/api/v1/auth/register',
    {
      config: { rateLimits: REGISTER_LIMITS, errors: ['captcha_required', 'validation_failed'] },
      schema: {
        tags: ['auth'],
        summary: 'Create an account (a confirmation e-mail follows)',
        body: z.object({ email, password, captcha: captcha.optional() }),
        response: { 202: z.object({ message: z.string(), email: z.string() }) },
      },
    },
    async (request, reply) => {
      const result = await accounts.register(request.body, contextOf(request));
      return reply.status(202).send({
        message: 'Check your inbox for a link to confirm your e-mail address.',
        email: result.email,
      });
    },
  );

  r.post(
    '/api/v1/auth/email/confirm',
    {
      config: { rateLimits: TOKEN_LIMITS, errors: ['invalid_token'] },
      schema: {
        tags: ['auth'],
        body: z.object({ token: z.string().min(10).max(200) }),
        response: { 200: z.object({ user: userSchema }) },
      },
    },
    async (request) => ({ user: await accounts.confirmEmail(request.body.token) }),
  );

  const RESEND_MESSAGE =
    'If this address has an account waiting for confirmation, a new confirmation link is on its way.';
  r.post(
    '/api/v1/auth/email/resend',
    {
      config: { rateLimits: RESEND_LIMITS },
      schema: {
        tags: ['auth'],
        summary: 'Send the confirmation e-mail again',
        description: 'The same answer whether or not the address has an account, or is already confirmed.',
        body: z.object({ email }),
        response: { 202: z.object({ message: z.string() }) },
      },
    },
    async (request, reply) => {
      await accounts.resendConfirmation(request.body);
      return reply.status(202).send({ message: RESEND_MESSAGE });
    },
  );

  r.post(
    '/api/v1/auth/login',
    {
      config: {
        rateLimits: LOGIN_LIMITS,
        errors: [
          'captcha_required',
          'unauthenticated',
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
      setSessionCookies(reply, issued);
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
        body: z.object({ refreshToken: z.string().min(10).max(200).optional() }).nullish(),
        response: { 200: tokensSchema },
      },
    },
    async (request, reply) => {
      const token = presentedRefreshToken(request, request.body);
      if (!token) throw unauthenticated('A refresh token is required.');
      try {
        const issued = await accounts.refresh(token, contextOf(request));
        setSessionCookies(reply, issued);
        return tokensBody(issued);
      } catch (error) {
        clearSessionCookies(reply);
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
        body: z.object({ refreshToken: z.string().min(10).max(200).optional() }).nullish(),
        response: { 204: z.undefined().describe('Signed out; the session cookies are cleared.') },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      let sessionId = principal?.sessionId;
      if (!sessionId) {
        const token = presentedRefreshToken(request, request.body);
        if (token) sessionId = await accounts.sessionIdOfRefreshToken(token);
      }
      if (sessionId) await accounts.logout(sessionId, principal?.userId ?? null, contextOf(request));
      clearSessionCookies(reply);
      return reply.status(204).send();
    },
  );

  r.post(
    '/api/v1/auth/password/forgot',
    {
      config: { rateLimits: FORGOT_LIMITS, errors: ['captcha_required'] },
      schema: {
        tags: ['auth'],
        body: z.object({ email, captcha: captcha.optional() }),
        response: { 202: z.object({ message: z.string() }) },
      },
    },
    async (request, reply) => {
      await accounts.forgotPassword(request.body, contextOf(request));
      return reply
        .status(202)
        .send({ message: 'If an account exists for this address, a reset link is on its way.' });
    },
  );

  r.post(
    '/api/v1/auth/password/reset',
    {
      config: {
        rateLimits: RESET_LIMITS,
        errors: ['captcha_required', 'invalid_token', 'validation_failed'],
      },
      schema: {
        tags: ['auth'],
        body: z.object({ token: z.string().min(10).max(200), password, captcha: captcha.optional() }),
        response: { 200: z.object({ message: z.string() }) },
      },
    },
    async (request) => {
      await accounts.resetPassword(request.body, contextOf(request));
      return { message: 'Your password was changed; every session was signed out. Please sign in again.' };
    },
  );

  r.post(
    '/api/v1/auth/password/change',
    {
      preValidation: requireSession,
      config: {
        rateLimits: CHANGE_PASSWORD_LIMITS,
        errors: [
          'unauthenticated',
          'invalid_credentials',
          'mfa_required',
          'mfa_invalid',
          'validation_failed',
          'rate_limited',
        ],
      },
      schema: {
        tags: ['auth'],
        summary: 'Change the password (signed in); every other session is signed out',
        body: z.object({ currentPassword: password, newPassword: password, otp: otp.optional() }),
        response: { 200: z.object({ message: z.string(), sessionsRevoked: z.number() }) },
      },
    },
    async (request) => {
      const { userId, sessionId } = principalOf(request);
      if (!sessionId) throw unauthenticated();
      const { sessionsRevoked } = await accounts.changePassword(
        userId,
        sessionId,
        request.body,
        contextOf(request),
      );
      return { message: 'Your password was changed; your other sessions were signed out.', sessionsRevoked };
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
      if (!user) throw unauthenticated();
      return publicUser(user);
    },
  );

  const sessionSchema = z.object({
    id: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string(),
    expiresAt: z.string(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    current: z.boolean(),
  });
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

  r.post(
    '/api/v1/mfa/totp',
    {
      preValidation: requireSession,
      config: { errors: ['not_found', 'mfa_already_enabled'] },
      schema: {
        tags: ['auth'],
        summary: 'Start TOTP setup',
        response: { 200: z.object({ secret: z.string(), otpauthUrl: z.string() }) },
      },
    },
    async (request) => accounts.startMfaSetup(principalOf(request).userId),
  );

  r.post(
    '/api/v1/mfa/totp/verify',
    {
      preValidation: requireSession,
      config: { errors: ['mfa_not_started', 'validation_failed', 'rate_limited'] },
      schema: {
        tags: ['auth'],
        body: z.object({ otp }),
        response: { 200: z.object({ mfaEnabled: z.boolean() }) },
      },
    },
    async (request) => {
      await accounts.confirmMfa(principalOf(request).userId, request.body.otp, contextOf(request));
      return { mfaEnabled: true };
    },
  );

  r.delete(
    '/api/v1/mfa/totp',
    {
      preValidation: requireSession,
      config: { errors: ['mfa_not_enabled', 'forbidden', 'validation_failed', 'rate_limited'] },
      schema: {
        tags: ['auth'],
        body: z.object({ otp }),
        response: { 200: z.object({ mfaEnabled: z.boolean() }) },
      },
    },
    async (request) => {
      await accounts.disableMfa(principalOf(request).userId, request.body.otp, contextOf(request));
      return { mfaEnabled: false };
    },
  );
}
