import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireConfirmedEmail, requireScope, requireUser } from '../../platform/http/guards.js';
import { TIER_NAMES } from '../tiers/index.js';
import type { SubscriptionsService } from './service.js';
import { subscriptionView, tierView } from './views.js';

/** Plans over HTTP: the public tier list and the caller's subscription. HTTP only. */

const canRead = requireScope('account:read');
/** A plan change moves money: an API key needs `wallet:write`, like a top-up. */
const canChange = requireScope('wallet:write');

const changeConfig: FastifyContextConfig = {
  idempotent: true,
  errors: ['email_unconfirmed', 'insufficient_funds', 'validation_failed'],
  // Generous: a client retrying with its Idempotency-Key must not be refused; the locks keep money safe.
  rateLimits: [{ name: 'subscription.change', points: 30, durationSeconds: 60, key: 'user' }],
};

const CHANGE_DESCRIPTION = [
  'Moves your account to `tier`. The price is always the tier row’s (`GET /api/v1/tiers`); a body',
  'naming a price or anything but `tier` is refused.',
  '',
  '- **freemium → payg**: immediate and free; payg needs no subscription.',
  '- **to pro or custom** (from freemium, payg, or a cheaper plan): the full monthly price is charged',
  '  from the wallet now, a new monthly period starts now (nothing is refunded for the rest of an',
  '  old period), the included usage is granted, and the new limits apply at once. 402',
  '  `insufficient_funds` when the wallet is too low.',
  '- **to a cheaper paid plan**: takes effect at the end of the period (`scheduledTier`).',
  '- **to payg from a paid plan**: the plan ends at the end of the period, as `DELETE`.',
  '- **the tier you are on**: nothing is charged; it undoes a pending cancel or scheduled change,',
  '  and pays a past-due plan at once.',
  '- back to freemium: refused.',
  '',
  'Send `Idempotency-Key` to retry safely; concurrent requests for the plan you are buying charge once.',
].join('\n');

export interface SubscriptionsRoutesDeps {
  subscriptions: SubscriptionsService;
}

export function registerSubscriptionsRoutes(app: FastifyInstance, deps: SubscriptionsRoutesDeps): void {
  const service = deps.subscriptions;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/tiers',
    {
      config: { errors: [] },
      schema: {
        tags: ['plans'],
        summary: 'The tiers: price, included usage and what each allows',
        response: { 200: z.object({ data: z.array(tierView) }) },
      },
    },
    async () => ({ data: await service.listTiers() }),
  );

  r.get(
    '/api/v1/subscription',
    {
      preValidation: [requireUser, canRead],
      config: { errors: ['not_found'] },
      schema: {
        tags: ['plans'],
        summary: 'Your tier, plan period and included usage left',
        response: { 200: subscriptionView },
      },
    },
    async (request) => service.subscriptionOf(principalOf(request).userId),
  );

  r.post(
    '/api/v1/subscription',
    {
      preValidation: [requireUser, canChange, requireConfirmedEmail],
      config: changeConfig,
      schema: {
        tags: ['plans'],
        summary: 'Change your plan (upgrade charges the wallet at the server’s price)',
        description: CHANGE_DESCRIPTION,
        body: z.strictObject({ tier: z.enum(TIER_NAMES as [string, ...string[]]) }),
        response: { 200: subscriptionView },
      },
    },
    async (request) => service.changeTier(principalOf(request).userId, request.body.tier),
  );

  r.delete(
    '/api/v1/subscription',
    {
      preValidation: [requireUser, canChange, requireConfirmedEmail],
      config: { errors: ['email_unconfirmed', 'not_found'] },
      schema: {
        tags: ['plans'],
        summary: 'Cancel your plan at the end of its period (then payg)',
        description:
          'Nothing more is charged; the plan and its included usage last until `currentPeriodEnd`, then ' +
          'the account moves to payg. A past-due plan ends at once. 404 without a paid plan.',
        response: { 200: subscriptionView },
      },
    },
    async (request) => service.cancel(principalOf(request).userId),
  );
}
