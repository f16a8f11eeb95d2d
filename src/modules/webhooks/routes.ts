import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireScope, requireUser } from '../../platform/http/guards.js';
import { ALL_EVENTS, EVENT_TYPES } from './domain.js';
import type { WebhooksService } from './service.js';
import { deliveriesPageView, deliveryView, endpointView, endpointWithSecretView } from './views.js';

/** Reading endpoints and the log: an API key needs `webhooks:read`; changing them, `webhooks:write`. */
const canRead = [requireUser, requireScope('webhooks:read')];
const canWrite = [requireUser, requireScope('webhooks:write')];

const eventFilter = z
  .array(z.enum([ALL_EVENTS, ...EVENT_TYPES]))
  .min(1)
  .max(EVENT_TYPES.length + 1)
  .describe('Event types to receive; ["*"] for all.');
const endpointInput = z.object({
  url: z.string().trim().min(1).max(2048),
  description: z.string().trim().max(500).optional(),
  events: eventFilter,
});
const idParams = z.object({ id: z.uuid() });
const page = z.object({
  cursor: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .transform((v) => (v === undefined ? undefined : Number(v))),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** Each test event or redelivery is an outbound request of up to 10 s: a per-user budget. */
const sendNowLimit: FastifyContextConfig['rateLimits'] = [
  { name: 'webhooks.send-now', points: 30, durationSeconds: 60, key: 'user' },
];

export interface WebhooksRoutesDeps {
  webhooks: WebhooksService;
}

export function registerWebhooksRoutes(app: FastifyInstance, deps: WebhooksRoutesDeps): void {
  const { webhooks } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/webhook-endpoints',
    {
      preValidation: canRead,
      schema: {
        tags: ['developers'],
        response: { 200: z.object({ data: z.array(endpointView), nextCursor: z.null() }) },
      },
    },
    async (request) => ({
      data: await webhooks.listEndpoints(principalOf(request).userId),
      nextCursor: null,
    }),
  );

  r.post(
    '/api/v1/webhook-endpoints',
    {
      preValidation: canWrite,
      config: {
        errors: ['tier_required', 'unsafe_url', 'validation_failed'],
        rateLimits: [{ name: 'webhooks.endpoints.create', points: 20, durationSeconds: 3600, key: 'user' }],
      },
      schema: {
        tags: ['developers'],
        summary: 'Create a webhook endpoint (its signing secret is shown once)',
        body: endpointInput,
        response: { 201: endpointWithSecretView },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await webhooks.createEndpoint({
        userId: principal.userId,
        tier: principal.tier,
        ...request.body,
      });
      return reply.status(201).send(created);
    },
  );

  r.patch(
    '/api/v1/webhook-endpoints/:id',
    {
      preValidation: canWrite,
      config: { errors: ['not_found', 'tier_required', 'unsafe_url'] },
      schema: {
        tags: ['developers'],
        params: idParams,
        body: endpointInput.partial().extend({ enabled: z.boolean().optional() }),
        response: { 200: endpointView },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return webhooks.updateEndpoint(principal.userId, principal.tier, request.params.id, request.body);
    },
  );

  r.delete(
    '/api/v1/webhook-endpoints/:id',
    {
      preValidation: canWrite,
      config: { errors: ['not_found'] },
      schema: {
        tags: ['developers'],
        params: idParams,
        response: { 204: z.undefined().describe('The endpoint and its delivery log are deleted.') },
      },
    },
    async (request, reply) => {
      await webhooks.deleteEndpoint(principalOf(request).userId, request.params.id);
      return reply.status(204).send();
    },
  );

  r.post(
    '/api/v1/webhook-endpoints/:id/test',
    {
      preValidation: canWrite,
      config: { errors: ['not_found', 'tier_required'], rateLimits: sendNowLimit },
      schema: {
        tags: ['developers'],
        summary: 'Send a webhook.test event to this endpoint now',
        params: idParams,
        response: { 200: deliveryView },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return webhooks.sendTestEvent(principal.userId, principal.tier, request.params.id);
    },
  );

  r.post(
    '/api/v1/webhook-endpoints/:id/rotate-secret',
    {
      preValidation: canWrite,
      config: { errors: ['not_found', 'tier_required'] },
      schema: {
        tags: ['developers'],
        summary: 'A new signing secret (shown once); the old one also signs for 24 hours',
        params: idParams,
        response: { 200: endpointWithSecretView },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return webhooks.rotateSecret(principal.userId, principal.tier, request.params.id);
    },
  );

  r.get(
    '/api/v1/webhook-endpoints/:id/deliveries',
    {
      preValidation: canRead,
      config: { errors: ['not_found'] },
      schema: {
        tags: ['developers'],
        summary: "The endpoint's delivery log, newest first",
        params: idParams,
        querystring: page,
        response: { 200: deliveriesPageView },
      },
    },
    async (request) => webhooks.listDeliveries(principalOf(request).userId, request.params.id, request.query),
  );

  r.post(
    '/api/v1/webhook-deliveries/:id/redeliver',
    {
      preValidation: canWrite,
      config: { errors: ['not_found', 'tier_required'], rateLimits: sendNowLimit },
      schema: {
        tags: ['developers'],
        summary: 'Send the same event (same event id) to the endpoint again, now',
        params: idParams,
        response: { 200: deliveryView },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return webhooks.redeliver(principal.userId, principal.tier, request.params.id);
    },
  );
}
