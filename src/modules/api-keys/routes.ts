import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireSession } from '../../platform/http/guards.js';
import { API_KEY_SCOPES } from './domain.js';
import type { ApiKeysService } from './service.js';

const keySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  allowedCidrs: z.array(z.string()),
  lastUsedAt: z.string().nullable(),
  createdAt: z.string(),
  previousPrefix: z.string().nullable().describe('The replaced secret, while a rotation overlap lasts.'),
  previousKeyExpiresAt: z
    .string()
    .nullable()
    .describe('When the secret replaced by the last rotation stops working; null when it already has.'),
});

/** API key management: only a signed-in person manages keys (never a key itself). */
export interface ApiKeysRoutesDeps {
  apiKeys: ApiKeysService;
}

export function registerApiKeysRoutes(app: FastifyInstance, deps: ApiKeysRoutesDeps): void {
  const { apiKeys } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/api-keys',
    {
      preValidation: requireSession,
      schema: {
        tags: ['developers'],
        response: { 200: z.object({ data: z.array(keySchema), nextCursor: z.null() }) },
      },
    },
    async (request) => ({ data: await apiKeys.list(principalOf(request).userId), nextCursor: null }),
  );

  r.post(
    '/api/v1/api-keys',
    {
      preValidation: requireSession,
      config: {
        rateLimits: [{ name: 'api-keys-create', points: 10, durationSeconds: 3600, key: 'user' }],
        errors: ['validation_failed', 'tier_required'],
      },
      schema: {
        tags: ['developers'],
        summary: 'Create an API key (the key is shown once)',
        body: z.object({
          name: z.string().trim().min(1).max(100),
          scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length),
          allowedCidrs: z.array(z.string().max(64)).max(50).optional(),
        }),
        response: { 201: keySchema.extend({ key: z.string() }) },
      },
    },
    async (request, reply) => {
      const created = await apiKeys.create({
        userId: principalOf(request).userId,
        ...request.body,
        ip: request.ip,
      });
      return reply.status(201).send({ ...created.apiKey, key: created.key });
    },
  );

  r.post(
    '/api/v1/api-keys/:id/rotate',
    {
      preValidation: requireSession,
      config: {
        // The answer holds the new secret: a replay shows it again, and the stored copy is sealed.
        idempotent: 'sealed',
        rateLimits: [{ name: 'api-keys-rotate', points: 10, durationSeconds: 3600, key: 'user' }],
        errors: ['not_found'],
      },
      schema: {
        tags: ['developers'],
        summary: 'Rotate an API key (the new key is shown once)',
        description:
          'Replaces the secret of a key, keeping its id, name, scopes and allowlist. The replaced ' +
          'secret keeps working until `previousKeyExpiresAt` (24 hours by default), then is refused ' +
          'with 401; a secret replaced by an earlier rotation stops at once. Revoking the key ends ' +
          'both secrets. Accepts `Idempotency-Key`: a retry returns the same new key.',
        params: z.object({ id: z.uuid() }),
        response: { 200: keySchema.extend({ key: z.string() }) },
      },
    },
    async (request) => {
      const rotated = await apiKeys.rotate(principalOf(request).userId, request.params.id, request.ip);
      return { ...rotated.apiKey, key: rotated.key };
    },
  );

  r.delete(
    '/api/v1/api-keys/:id',
    {
      preValidation: requireSession,
      config: { errors: ['not_found'] },
      schema: {
        tags: ['developers'],
        params: z.object({ id: z.uuid() }),
        response: { 204: z.undefined().describe('The key is revoked.') },
      },
    },
    async (request, reply) => {
      await apiKeys.revoke(principalOf(request).userId, request.params.id, request.ip);
      return reply.status(204).send();
    },
  );
}
