import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBody } from '../../platform/http/error-handler.js';
import { CAPABILITIES } from './domain.js';
import { ANONYMOUS_TIER, type CatalogService } from './service.js';
import { countryView, pricedServiceView, type QuoteView, quoteView } from './views.js';

const servicesQuery = z.object({
  country: z.string().trim().max(2).optional(),
  q: z.string().trim().max(64).optional(),
});
const quoteQuery = z.object({
  service: z.string().trim().min(1).max(64),
  country: z.string().trim().length(2),
  capability: z.enum(CAPABILITIES).default('sms'),
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
export interface CatalogRoutesDeps {
  catalog: CatalogService;
}

export function registerCatalogRoutes(app: FastifyInstance, deps: CatalogRoutesDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { catalog } = deps;

  r.get(
    '/api/v1/catalog/services',
    {
      config: { errors: ['provider_unavailable', 'validation_failed'] },
      schema: {
        querystring: servicesQuery,
        tags: ['catalog'],
        summary: 'Services with price for your tier and availability',
        response: {
          200: z.object({ data: z.array(pricedServiceView) }),
          '4xx': errorBody,
          503: errorBody,
        },
      },
    },
    async (request) => ({
      data: await catalog.listPricedServices(request.query, request.principal?.tier ?? ANONYMOUS_TIER),
    }),
  );

  r.get(
    '/api/v1/catalog/countries',
    { schema: { tags: ['catalog'], response: { 200: z.object({ data: z.array(countryView) }) } } },
    async () => ({ data: [...catalog.countries()] }),
  );

  r.get(
    '/api/v1/catalog/quote',
    {
      config: {
        errors: ['not_found', 'tier_required', 'validation_failed', 'provider_unavailable'],
      },
      schema: {
        querystring: quoteQuery,
        tags: ['catalog'],
        response: { 200: quoteView, '4xx': errorBody, 503: errorBody },
      },
    },
    async (request): Promise<QuoteView> => {
      const q = request.query;
      const quote = await catalog.quote({
        tierName: request.principal?.tier ?? ANONYMOUS_TIER,
        service: q.service,
        country: q.country,
        capability: q.capability,
        areaCode: q.areaCode !== undefined,
        carrier: q.carrier !== undefined,
      });
      const delivery = await catalog.delivery(quote.service, quote.country);
      return {
        service: quote.service,
        country: quote.country,
        capability: quote.capability,
        tier: quote.tier,
        price: { amount: quote.totalCents, currency: quote.currency },
        breakdown: { base: quote.tierAdjustedCents, surcharges: quote.surchargeCents },
        delivery,
      };
    },
  );
}
