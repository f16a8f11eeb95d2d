/**
 * Provider routing: which configured upstreams may sell a service (admins' pin/disable rules),
 * in what order (reachability, stock, price), and the upstream that serves an existing order.
 * Offers (cost and stock) are looked up from the providers and cached like the catalogue's.
 */
import type { Db } from '../../platform/db/database.js';
import { AppError, providerUnavailable } from '../../platform/errors.js';
import {
  allowedProviders,
  cheapestOffer,
  type ProviderFacts,
  type ProviderName,
  rankProviders,
  type RoutingRule,
} from './domain.js';
import * as store from './store.js';
import type { OfferRequest, Upstream } from './upstreams.js';

export interface RoutingDeps {
  db: Db;
  /** The configured upstreams, in no particular order. */
  upstreams: readonly Upstream[];
  /** How long looked-up offers are reused (the catalogue's TTL). */
  cacheTtlMs: number;
  /** How long a purchase waits for offers before ranking without the missing ones (default 2 s). */
  offerWaitMs?: number;
  /**
   * Measured success of a provider for a service and country (the delivery statistics of our own
   * orders), or null when too few orders; without it routing ranks on reachability, stock and price.
   */
  successRate?: (service: string, country: string, provider: ProviderName) => Promise<number | null>;
}

export interface Candidate {
  upstream: Upstream;
  facts: ProviderFacts;
}

type Offer = { costCents: number; stock: number | null } | null;

/** How long the rules are reused before another read (a change on this instance applies at once). */
const RULES_TTL_MS = 5_000;

export function createRoutingService(deps: RoutingDeps) {
  const byName = new Map(deps.upstreams.map((u) => [u.name, u]));
  const configured = deps.upstreams.map((u) => u.name);
  const offers = new Map<string, { value: Promise<Offer>; expiresAt: number }>();
  let rulesCache: { value: Promise<Map<string, RoutingRule>>; expiresAt: number } | null = null;

  function rules(): Promise<Map<string, RoutingRule>> {
    if (rulesCache && rulesCache.expiresAt > Date.now()) return rulesCache.value;
    const value = store.rules(deps.db).then((list) => new Map(list.map((r) => [r.service, r])));
    const entry = { value, expiresAt: Date.now() + RULES_TTL_MS };
    rulesCache = entry;
    value.catch(() => (entry.expiresAt = 0));
    return value;
  }

  function offerOf(upstream: Upstream, request: OfferRequest): Promise<Offer> {
    const key = `${upstream.name}|${request.service}|${request.country}|${request.capability}|${request.areaCode}|${request.carrier}`;
    const hit = offers.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    const value = upstream.offer(request);
    const entry = { value, expiresAt: Date.now() + deps.cacheTtlMs };
    offers.set(key, entry);
    value.catch(() => (entry.expiresAt = 0)); // a failure is not cached
    return value;
  }

  /** A missing or failing statistics source never stops a purchase: it ranks without it. */
  async function measuredSuccess(request: OfferRequest, provider: ProviderName): Promise<number | null> {
    if (!deps.successRate) return null;
    return deps.successRate(request.service, request.country, provider).catch(() => null);
  }

  /** The upstreams allowed to sell this request, with what is known of each. */
  async function factsFor(request: OfferRequest): Promise<Candidate[]> {
    const rule = (await rules()).get(request.service.toLowerCase());
    const allowed = allowedProviders(configured, rule)
      .map((name) => byName.get(name)!)
      .filter((u) => u.supports(request));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deps.offerWaitMs ?? 2_000);
    });
    try {
      const looked = await Promise.all(
        allowed.map(async (upstream) => {
          const [offer, successRate] = await Promise.all([
            Promise.race([offerOf(upstream, request).catch(() => 'failed' as const), deadline]),
            measuredSuccess(request, upstream.name),
          ]);
          return { upstream, offer, successRate };
        }),
      );
      return looked
        .filter(({ offer }) => offer !== null) // it said it does not sell this
        .map(({ upstream, offer, successRate }) => {
          const known = offer === 'failed' || offer === 'late' ? null : offer;
          return {
            upstream,
            facts: {
              name: upstream.name,
              costCents: known?.costCents ?? null,
              stock: known?.stock ?? null,
              circuitOpen: upstream.circuitState() === 'open',
              successRate,
            },
          };
        });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    configured: (): readonly ProviderName[] => configured,

    /** The upstream that serves an order bought from `name`; undefined when it is not configured. */
    upstream: (name: ProviderName): Upstream | undefined => byName.get(name),

    /**
     * The upstreams to try for a purchase, first choice first. With a single allowed provider
     * nothing is looked up: there is nothing to choose, and its own answer decides.
     */
    async candidates(request: OfferRequest): Promise<Candidate[]> {
      const rule = (await rules()).get(request.service.toLowerCase());
      const allowed = allowedProviders(configured, rule)
        .map((name) => byName.get(name)!)
        .filter((u) => u.supports(request));
      if (allowed.length <= 1) {
        return allowed.map((upstream) => ({
          upstream,
          facts: { name: upstream.name, costCents: null, stock: null, circuitOpen: false },
        }));
      }
      const facts = await factsFor(request);
      const order = rankProviders(facts.map((c) => c.facts)).map((f) => f.name);
      return order.map((name) => facts.find((c) => c.upstream.name === name)!);
    },

    /**
     * The cheapest cost and the total stock of the providers allowed to sell this (the
     * catalogue's price source). 400 when none sells it, 503 when none could be asked.
     */
    async bestOffer(request: OfferRequest): Promise<{ costCents: number; stock: number | null }> {
      const facts = await factsFor(request);
      if (facts.length === 0) {
        throw new AppError(400, 'validation_failed', 'No provider offers this service with these options.');
      }
      const best = cheapestOffer(facts.map((c) => c.facts));
      if (!best || best.costCents === null) throw providerUnavailable();
      const stocks = facts.map((c) => c.facts.stock);
      const stock = stocks.every((s) => s === null)
        ? null
        : stocks.reduce<number>((sum, s) => sum + (s ?? 0), 0);
      return { costCents: best.costCents, stock };
    },

    /** Every admin rule, by service. */
    async rules(): Promise<RoutingRule[]> {
      return [...(await rules()).values()].sort((a, b) => a.service.localeCompare(b.service));
    },

    /** Sets a service's rule in `tx` (the admin's transaction, with its audit entry). */
    async setRule(tx: Db, rule: RoutingRule): Promise<void> {
      await store.setRule(tx, { ...rule, service: rule.service.toLowerCase() });
      rulesCache = null;
    },

    /** Drops cached offers and rules (admin edits, tests). */
    invalidate(): void {
      offers.clear();
      rulesCache = null;
    },
  };
}

export type RoutingService = ReturnType<typeof createRoutingService>;
