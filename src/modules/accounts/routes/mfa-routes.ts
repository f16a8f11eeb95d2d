import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireSession } from '../../../platform/http/guards.js';
import type { AccountsService } from '../service.js';
import { contextOf, otp } from './shared.js';

const mfaState = z.object({ mfaEnabled: z.boolean() });

/** Two-factor authentication (TOTP): start the setup, confirm it with a code, turn it off. */
export function registerMfaRoutes(app: FastifyInstance, accounts: AccountsService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/mfa/totp',
    {
      preValidation: requireSession,
      config: { errors: ['mfa_already_enabled'] },
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
      schema: { tags: ['auth'], body: z.object({ otp }), response: { 200: mfaState } },
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
      schema: { tags: ['auth'], body: z.object({ otp }), response: { 200: mfaState } },
    },
    async (request) => {
      await accounts.disableMfa(principalOf(request).userId, request.body.otp, contextOf(request));
      return { mfaEnabled: false };
    },
  );
}
