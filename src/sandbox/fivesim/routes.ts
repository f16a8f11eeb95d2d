/**
 * The 5sim API routes under `/v1/` (contract §B.2): all GET, bearer auth on `/user/…`, JSON
 * answers, errors as plain-text strings (§B.3).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { COUNTRIES } from './catalog.js';
import { FiveSimSandboxError, type SandboxState } from './state.js';
import { API, orderJson, units } from './wire.js';

export interface ApiRoutesDeps {
  apiKey: string;
  state: SandboxState;
}

const idOf = (request: FastifyRequest): number => {
  const raw = (request.params as { id: string }).id;
  if (!/^\d{1,15}$/.test(raw)) throw new FiveSimSandboxError(400, 'order not found');
  return Number(raw);
};

export function registerApiRoutes(app: FastifyInstance, deps: ApiRoutesDeps): void {
  const { state } = deps;

  const requireUser = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.authorization !== `Bearer ${deps.apiKey}`) {
      return reply.code(401).type('text/plain; charset=utf-8').send('');
    }
  };

  app.get(`${API}/guest/prices`, async (request) => {
    const query = request.query as { country?: string; product?: string };
    const out: Record<
      string,
      Record<string, Record<string, { cost: number; count: number; rate?: number }>>
    > = {};
    for (const [country, products] of state.catalogue) {
      if (query.country && query.country !== country) continue;
      for (const [product, operators] of products) {
        if (query.product && query.product !== product) continue;
        const byOperator: Record<string, { cost: number; count: number; rate?: number }> = {};
        for (const [operator, offer] of operators) {
          byOperator[operator] = {
            cost: units(offer.priceCents),
            count: offer.count,
            ...(offer.rate === null ? {} : { rate: offer.rate }),
          };
        }
        (out[country] ??= {})[product] = byOperator;
      }
    }
    // An unknown pair answers null (§B.2).
    return Object.keys(out).length ? out : null;
  });

  app.get(`${API}/guest/products/:country/:operator`, async (request) => {
    const { country, operator } = request.params as { country: string; operator: string };
    const countries = country === 'any' ? [...state.catalogue.keys()] : [country];
    const out: Record<string, { Category: string; Qty: number; Price: number }> = {};
    for (const c of countries) {
      for (const [product, operators] of state.catalogue.get(c) ?? []) {
        for (const [name, offer] of operators) {
          if (operator !== 'any' && operator !== name) continue;
          const seen = out[product];
          out[product] = {
            Category: 'activation',
            Qty: (seen?.Qty ?? 0) + offer.count,
            Price: Math.min(seen?.Price ?? Number.POSITIVE_INFINITY, units(offer.priceCents)),
          };
        }
      }
    }
    return out;
  });

  app.get(`${API}/guest/countries`, async () =>
    Object.fromEntries(
      Object.entries(COUNTRIES).map(([name, c]) => [
        name,
        { iso: { [c.iso]: 1 }, prefix: { [c.prefix]: 1 }, text_en: c.text, text_ru: c.text },
      ]),
    ),
  );

  app.register(async (user) => {
    user.addHook('preHandler', requireUser);

    user.get(`${API}/user/profile`, async () => ({
      id: 1,
      email: 'sandbox@5sim.local',
      vendor: '',
      default_forwarding_number: '',
      balance: units(state.balanceCents),
      rating: 96,
      default_country: { name: 'usa', iso: 'us', prefix: '+1' },
      default_operator: { name: 'any' },
      frozen_balance: 0,
    }));

    user.get(`${API}/user/buy/activation/:country/:operator/:product`, async (request) => {
      const { country, operator, product } = request.params as Record<string, string>;
      const query = request.query as { maxPrice?: string; reuse?: string };
      let maxPriceCents: number | null = null;
      if (query.maxPrice !== undefined) {
        const value = Number(query.maxPrice);
        if (!Number.isFinite(value) || value < 0) throw new FiveSimSandboxError(400, 'bad maxPrice');
        // maxPrice applies only with operator `any` (§B.2).
        if (operator === 'any') maxPriceCents = Math.round(value * 100);
      }
      if (state.buyLatencyMs > 0) await sleep(state.buyLatencyMs);
      return orderJson(
        state.buy(country!, operator!, product!, maxPriceCents, { reuse: query.reuse === '1' }),
      );
    });

    user.get(`${API}/user/reuse/:product/:number`, async (request) => {
      const { product, number } = request.params as Record<string, string>;
      if (state.buyLatencyMs > 0) await sleep(state.buyLatencyMs);
      return orderJson(state.reuse(product!, number!));
    });

    user.get(`${API}/user/orders`, async (request) => {
      const query = request.query as { category?: string; limit?: string; offset?: string; reverse?: string };
      if (query.category !== 'activation' && query.category !== 'hosting') {
        throw new FiveSimSandboxError(400, 'category is required');
      }
      const all = query.category === 'hosting' ? [] : [...state.orders.values()].map((o) => state.refresh(o));
      all.sort((a, b) => (query.reverse === 'true' ? b.id - a.id : a.id - b.id));
      const offset = Math.max(0, Number(query.offset ?? 0) || 0);
      const limit = Math.min(Math.max(1, Number(query.limit ?? 15) || 15), 100);
      const page = all.slice(offset, offset + limit);
      return {
        Data: page.map(orderJson),
        ProductNames: [...new Set(page.map((o) => o.product))],
        Statuses: [...new Set(page.map((o) => o.status))],
        Total: all.length,
      };
    });

    user.get(`${API}/user/check/:id`, async (request) => orderJson(state.get(idOf(request))));
    user.get(`${API}/user/cancel/:id`, async (request) => orderJson(state.cancel(idOf(request))));
    user.get(`${API}/user/ban/:id`, async (request) => orderJson(state.ban(idOf(request))));
    user.get(`${API}/user/finish/:id`, async (request) => orderJson(state.finish(idOf(request))));
  });
}
