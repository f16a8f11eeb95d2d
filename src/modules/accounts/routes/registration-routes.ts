import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteRateLimit } from '../../../platform/http/rate-limit.js';
import { MAX_CAPTCHA_LEVEL } from '../captcha.js';
import type { AccountsService } from '../service.js';
import {
  TOKEN_LIMITS,
  captcha,
  contextOf,
  email,
  emailKey,
  messageSchema,
  opaqueToken,
  password,
  userSchema,
} from './shared.js';

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

const REGISTER_LIMITS: RouteRateLimit[] = [
  { name: 'register-ip', points: 3, durationSeconds: 3600, key: 'ip' },
];
/** No captcha on this one: these limits keep it from being a mail cannon. */
const RESEND_LIMITS: RouteRateLimit[] = [
  { name: 'email-resend-ip', points: 5, durationSeconds: 3600, key: 'ip' },
  { name: 'email-resend-account', points: 3, durationSeconds: 3600, key: emailKey },
];
const RESEND_MESSAGE =
  'If this address has an account waiting for confirmation, a new confirmation link is on its way.';

/** The captcha challenge, sign-up and e-mail confirmation. */
export function registerRegistrationRoutes(app: FastifyInstance, accounts: AccountsService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/captcha/challenge',
    {
      schema: {
        tags: ['auth'],
        summary: 'A proof-of-work captcha challenge (ALTCHA)',
        description:
          'Needed by sign-up, and by sign-in and password reset when they answer 403 `captcha_required`: ' +
          'solve it and send the result as `captcha` (see that field). A sign-in refused with ' +
          '`captcha_required` names the `captchaLevel` it needs in `error.details`; ask for a challenge of that level.',
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
        body: z.object({ token: opaqueToken }),
        response: { 200: z.object({ user: userSchema }) },
      },
    },
    async (request) => ({ user: await accounts.confirmEmail(request.body.token) }),
  );

  r.post(
    '/api/v1/auth/email/resend',
    {
      config: { rateLimits: RESEND_LIMITS },
      schema: {
        tags: ['auth'],
        summary: 'Send the confirmation e-mail again',
        description: 'The same answer whether or not the address has an account, or is already confirmed.',
        body: z.object({ email }),
        response: { 202: messageSchema },
      },
    },
    async (request, reply) => {
      await accounts.resendConfirmation(request.body);
      return reply.status(202).send({ message: RESEND_MESSAGE });
    },
  );
}
