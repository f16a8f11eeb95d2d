import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { unauthenticated } from '../../../platform/errors.js';
import { principalOf, requireSession } from '../../../platform/http/guards.js';
import type { RouteRateLimit } from '../../../platform/http/rate-limit.js';
import { type AccountsService, SECRET_CHECKS_PER_USER } from '../service.js';
import { captcha, contextOf, email, emailKey, messageSchema, opaqueToken, otp, password } from './shared.js';

const FORGOT_LIMITS: RouteRateLimit[] = [
  { name: 'password-forgot-ip', points: 5, durationSeconds: 3600, key: 'ip' },
  { name: 'password-forgot-account', points: 3, durationSeconds: 3600, key: emailKey },
];
const RESET_LIMITS: RouteRateLimit[] = [
  { name: 'password-reset-ip', points: 10, durationSeconds: 3600, key: 'ip' },
];
/** Wrong current passwords cost a guess each: a stolen access token cannot brute-force the password. */
const CHANGE_PASSWORD_LIMITS: RouteRateLimit[] = [
  { name: 'password-change-user', ...SECRET_CHECKS_PER_USER, key: 'user' },
];

/** A forgotten password (a reset link by e-mail) and a signed-in password change. */
export function registerPasswordRoutes(app: FastifyInstance, accounts: AccountsService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/auth/password/forgot',
    {
      config: { rateLimits: FORGOT_LIMITS, errors: ['captcha_required'] },
      schema: {
        tags: ['auth'],
        body: z.object({ email, captcha: captcha.optional() }),
        response: { 202: messageSchema },
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
        body: z.object({ token: opaqueToken, password, captcha: captcha.optional() }),
        response: { 200: messageSchema },
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
}
