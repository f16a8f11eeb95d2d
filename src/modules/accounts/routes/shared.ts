import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteRateLimit } from '../../../platform/http/rate-limit.js';
import { USER_ROLES, USER_STATUSES } from '../domain.js';
import { type RequestContext, normalizeEmail } from '../service.js';

/** The request fields, response shapes and limits the accounts routes share. */
export const email = z.string().trim().min(3).max(254).email();
// Length and commonness are checked by the password policy, which gives the clear message.
export const password = z.string().min(1).max(1024);
export const captcha = z
  .string()
  .min(1)
  .max(4096)
  .describe(
    'A solved ALTCHA proof of work, used once: get a challenge from `GET /api/v1/captcha/challenge`, ' +
      'solve it (the web pages use the `altcha` widget; in Node, `solveChallenge({ challenge, deriveKey })` ' +
      'of `altcha-lib` 2 with `deriveKey` from `altcha-lib/algorithms/pbkdf2`), and send ' +
      'base64(JSON `{challenge, solution}`). Sign-up always needs one; sign-in and password reset ' +
      'ask for one (403 `captcha_required`) when an account or address looks attacked.',
  );
export const otp = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'must be a 6-digit code');
export const opaqueToken = z.string().min(10).max(200);

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  emailConfirmed: z.boolean(),
  role: z.enum(USER_ROLES),
  status: z.enum(USER_STATUSES),
  tier: z.string(),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
});

export const tokensSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
  user: userSchema,
});

export const messageSchema = z.object({ message: z.string() });

export const contextOf = (request: FastifyRequest): RequestContext => ({
  ip: request.ip ?? null,
  userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
});

/** The address in the body, for limits per account (whether or not it has one). */
export const emailKey = (request: FastifyRequest) => {
  const value = (request.body as { email?: unknown } | undefined)?.email;
  return typeof value === 'string' ? normalizeEmail(value).slice(0, 254) : undefined;
};

/** Routes that take a token (confirmation link, refresh token): per client address. */
export const TOKEN_LIMITS: RouteRateLimit[] = [
  { name: 'auth-token-ip', points: 30, durationSeconds: 60, key: 'ip' },
];
