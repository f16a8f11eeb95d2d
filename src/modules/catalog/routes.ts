import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PlatformDeps } from '../../platform/module.js';
import { catalogFor } from './service.js';

const servicesQuery = z.object({
  country: z.string().trim().max(2).optional(),
  q: z.string().trim().max(64).optional(),
});
const quoteQuery = z.object({
  service: z.string().trim().min(1).max(64),
  country: z.string().trim().length(2),
  capability: z.enum(['sms', 'voice']).default('sms'),
  areaCode: z
    .string()
    .max(64)
    .refine(
      (v) => v.split(',').every((part) => /^\d{3}$/.test(part)),
      'must be 3-digit area codes separated by commas',
    )
    .optional(),
  carrier: z.string().trim().min(1).max(16).optional(),
});

/** Public catalogue: services, countries and the quote for the caller's tier (payg when anonymous). */
export function registerCatalogRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const catalog = catalogFor(deps);

  r.get(
    '/api/v1/catalog/services',
    { schema: { querystring: servicesQuery, tags: ['catalog'] } },
    async (request) => ({
      data: await catalog.listServices(request.query),
    }),
  );

  r.get('/api/v1/catalog/countries', { schema: { tags: ['catalog'] } }, async () => ({
    data: catalog.countries(),
  }));

  r.get(
    '/api/v1/catalog/quote',
    { schema: { querystring: quoteQuery, tags: ['catalog'] } },
    async (request) => {
      const q = request.query;
      const quote = await catalog.quote({
        tierName: request.principal?.tier ?? 'payg',
        service: q.service,
        country: q.country,
        capability: q.capability,
        areaCode: q.areaCode !== undefined,
        carrier: q.carrier !== undefined,
      });
      return {
        service: quote.service,
        country: quote.country,
        capability: quote.capability,
        tier: quote.tier,
        price: { amount: quote.totalCents, currency: quote.currency },
        breakdown: { base: quote.tierAdjustedCents, surcharges: quote.surchargeCents },
      };
    },
  );
}
