import { bulkhead } from 'cockatiel';
import type { Db } from '../../platform/db/database.js';
import { AppError, notFound, providerUnavailable } from '../../platform/errors.js';
import {
  isTextVerifiedError,
  type TextVerifiedClient,
  type TextVerifiedService,
} from '../../providers/textverified/index.js';
import type { TiersService } from '../tiers/index.js';
import {
  type Capability,
  COUNTRIES,
  categoryOf,
  isAvailableCountry,
  matchesQuery,
  optionRefusedByTier,
  type PriceBreakdown,
  priceVerification,
} from './domain.js';
import * as store from './store.js';
import type { CatalogEntry, DeliveryView, PricedCatalogService } from './views.js';

/** Tier of anonymous callers for quotes and listed prices. */
export const ANONYMOUS_TIER = 'payg';

/** Provider price and inventory look-ups a listing runs at once (a cold cache queues the rest). */
export const LIST_LOOKUP_CONCURRENCY = 8;
/** How long a listing waits for prices and stock before answering without the missing ones. */
const DEFAULT_LIST_WAIT_MS = 5_000;

export interface CatalogSettings {
  markupBps: number;
  cacheTtlSeconds: number;
  /** Default 5 000 ms; look-ups still running go on and fill the cache for the next listing. */
  listWaitMs?: number;
}

export interface QuoteRequest {
  tierName: string;
  service: string;
  country: string;
  capability: Capability;
  areaCode: boolean;
  carrier: boolean;
}

/** A catalogue entry with its price for a tier (cents) and the provider's stock. */
export interface Offer extends CatalogEntry {
  priceCents: number | null;
  stock: number | null;
}

export interface Quote extends PriceBreakdown {
  service: string;
  country: string;
  capability: Capability;
  tier: string;
  currency: 'USD';
  markupBps: number;
}

/**
 * Where delivery figures come from (the verifications' statistics over our own orders, cached
 * there): every provider together for a service in a country, or in every country.
 */
export interface DeliveryFiguresSource {
  snapshot(): Promise<{ overall(service: string, country?: string): DeliveryView }>;
}

const NO_FIGURES: DeliveryView = { last24h: null, last7d: null };

interface Cached<T> {
  value: Promise<T>;
  expiresAt: number;
}

/**
 * The catalogue: the provider's services, prices and stock, cached in memory for `cacheTtlSeconds`
 * (concurrent callers share one in-flight request; a failure is not cached). One instance per
 * process and database.
 */
export class Catalog {
  private services: Cached<TextVerifiedService[]> | null = null;
  private readonly prices = new Map<string, Cached<number>>();
  private readonly stock = new Map<string, Cached<number>>();
  private markupOverrides: Cached<Map<string, number>> | null = null;
  /** Bounds the look-ups listings fire (quotes and purchases do not queue behind them). */
  private readonly listLookups = bulkhead(LIST_LOOKUP_CONCURRENCY, Number.POSITIVE_INFINITY);

  private readonly db: Db;
  private readonly client: TextVerifiedClient | undefined;
  private readonly offerSource: OfferSource | undefined;
  private readonly settings: CatalogSettings;
  private readonly tiers: TiersService;
  private readonly deliveryStats: DeliveryFiguresSource | undefined;

  constructor(deps: CatalogDeps) {
    this.db = deps.db;
    this.deliveryStats = deps.deliveryStats;
    this.client = deps.textVerified;
    this.offerSource = deps.offerSource;
    this.settings = deps.settings;
    this.tiers = deps.tiers;
  }

  private get ttlMs() {
    return this.settings.cacheTtlSeconds * 1000;
  }

  private cached<T>(
    entry: Cached<T> | null | undefined,
    load: () => Promise<T>,
    store: (c: Cached<T>) => void,
  ): Promise<T> {
    if (entry && entry.expiresAt > Date.now()) return entry.value;
    const value = load();
    const fresh = { value, expiresAt: Date.now() + this.ttlMs };
    store(fresh);
    // A failure is not cached.
    value.catch(() => {
      fresh.expiresAt = 0;
    });
    return value;
  }

  private provider(): TextVerifiedClient {
    if (!this.client) throw providerUnavailable('The SMS provider is not configured.');
    return this.client;
  }

  private async fromProvider<T>(work: (client: TextVerifiedClient) => Promise<T>): Promise<T> {
    try {
      return await work(this.provider());
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (isTextVerifiedError(error) && error.kind === 'bad_request') {
        throw new AppError(
          400,
          'validation_failed',
          'The provider does not offer this service with these options.',
        );
      }
      throw providerUnavailable();
    }
  }

  private providerServices(): Promise<TextVerifiedService[]> {
    return this.cached(
      this.services,
      () =>
        this.fromProvider((c) => c.listServices({ numberType: 'mobile', reservationType: 'verification' })),
      (c) => (this.services = c),
    );
  }

  async listServices(query: { country?: string; q?: string } = {}): Promise<CatalogEntry[]> {
    if (query.country && !isAvailableCountry(query.country)) return [];
    const services = await this.providerServices();
    return services
      .filter((s) => matchesQuery(s, query.q))
      .map((s): CatalogEntry => ({
        name: s.serviceName,
        displayName: s.displayName,
        category: categoryOf(s.serviceName),
        capabilities: s.capability === 'smsAndVoiceCombo' ? ['sms', 'voice'] : ['sms'],
      }));
  }

  /**
   * The services with the price the caller's tier pays for an SMS number without options (the same
   * figure `quote` gives) and availability. A service the provider cannot price or count right now
   * (error, or not within `listWaitMs`) is still listed, with `price`/`available` null.
   */
  async listPricedServices(
    query: { country?: string; q?: string },
    tierName: string,
  ): Promise<PricedCatalogService[]> {
    const [offers, figures] = await Promise.all([
      this.listOffers(query, tierName),
      this.deliveryStats?.snapshot(),
    ]);
    return offers.map(({ priceCents, stock, ...service }) => ({
      ...service,
      price: priceCents === null ? null : { amount: priceCents, currency: 'USD' },
      available: stock === null ? null : stock > 0,
      delivery: figures?.overall(service.name, query.country || undefined) ?? NO_FIGURES,
    }));
  }

  /**
   * The services with the price in cents the tier pays for an SMS number without options and the
   * provider's stock; either is null when it could not be looked up within `listWaitMs`.
   */
  async listOffers(query: { country?: string; q?: string }, tierName: string): Promise<Offer[]> {
    const services = await this.listServices(query);
    if (services.length === 0) return [];
    const tier = await this.tiers.get(tierName);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.settings.listWaitMs ?? DEFAULT_LIST_WAIT_MS);
    });
    const inTime = <T>(work: Promise<T>): Promise<T | null> =>
      Promise.race([work.catch(() => null), deadline]);
    try {
      return await Promise.all(
        services.map(async (service): Promise<Offer> => {
          const [providerCostCents, markupBps, stock] = await Promise.all([
            inTime(this.providerCost(service.name, 'sms', false, false, { queued: true })),
            this.markupFor(service.name),
            inTime(this.stockOf(service.name)),
          ]);
          const price =
            providerCostCents === null
              ? null
              : priceVerification({ providerCostCents, markupBps, tier, areaCode: false, carrier: false });
          return { ...service, priceCents: price?.totalCents ?? null, stock };
        }),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  countries() {
    return COUNTRIES;
  }

  async findService(name: string): Promise<CatalogEntry | undefined> {
    const all = await this.listServices();
    return all.find((s) => s.name === name.toLowerCase());
  }

  /** Runs a provider look-up now, or in the listings' queue. */
  private lookup<T>(work: () => Promise<T>, queued: boolean): Promise<T> {
    return queued ? this.listLookups.execute(work) : work();
  }

  private providerCost(
    service: string,
    capability: Capability,
    areaCode: boolean,
    carrier: boolean,
    opts: { queued?: boolean } = {},
  ): Promise<number> {
    const key = `${service}|${capability}|${areaCode}|${carrier}`;
    return this.cached(
      this.prices.get(key),
      () => {
        const source = this.offerSource;
        if (source) {
          return this.fromProvider(() =>
            this.lookup(
              async () => (await source({ service, country: 'US', capability, areaCode, carrier })).costCents,
              opts.queued ?? false,
            ),
          );
        }
        return this.fromProvider((c) =>
          this.lookup(
            async () =>
              (await c.priceVerification({ serviceName: service, capability, areaCode, carrier })).priceCents,
            opts.queued ?? false,
          ),
        );
      },
      (entry) => this.prices.set(key, entry),
    );
  }

  /** Numbers the provider has for an SMS verification of this service (listings only). */
  private stockOf(service: string): Promise<number> {
    return this.cached(
      this.stock.get(service),
      () => {
        const source = this.offerSource;
        if (source) {
          return this.fromProvider(() =>
            this.lookup(
              async () =>
                (await source({ service, country: 'US', capability: 'sms', areaCode: false, carrier: false }))
                  .stock ?? 0,
              true,
            ),
          );
        }
        return this.fromProvider((c) =>
          this.lookup(() => c.inventory({ serviceName: service, capability: 'sms' }), true),
        );
      },
      (entry) => this.stock.set(service, entry),
    );
  }

  /** Per-service markup overrides, read as one (small) table so a listing costs one query. */
  private async markupFor(service: string): Promise<number> {
    const overrides = await this.cached(
      this.markupOverrides,
      async () => {
        const rows = await store.markupOverrides(this.db);
        return new Map(rows.map((row) => [row.serviceName, row.markupBps]));
      },
      (entry) => (this.markupOverrides = entry),
    );
    return overrides.get(service) ?? this.settings.markupBps;
  }

  /** The price the caller's tier pays; the same figure a purchase charges. */
  async quote(request: QuoteRequest): Promise<Quote> {
    if (!isAvailableCountry(request.country)) {
      throw new AppError(404, 'not_found', `Numbers in country ${request.country} are not offered.`);
    }
    const tier = await this.tiers.get(request.tierName);
    const refused = optionRefusedByTier(tier, request);
    if (refused) {
      throw new AppError(
        403,
        'tier_required',
        `Your tier (${tier.name}) does not include the ${refused.replace('_', ' ')} option.`,
        {
          option: refused,
        },
      );
    }
    const service = await this.findService(request.service);
    if (!service) throw notFound('Service');
    if (!service.capabilities.includes(request.capability)) {
      throw new AppError(
        400,
        'validation_failed',
        `${service.displayName} is not offered with ${request.capability}.`,
      );
    }
    const [providerCostCents, markupBps] = await Promise.all([
      this.providerCost(service.name, request.capability, request.areaCode, request.carrier),
      this.markupFor(service.name),
    ]);
    const breakdown = priceVerification({
      providerCostCents,
      markupBps,
      tier,
      areaCode: request.areaCode,
      carrier: request.carrier,
    });
    return {
      ...breakdown,
      service: service.name,
      country: request.country.toUpperCase(),
      capability: request.capability,
      tier: tier.name,
      currency: 'USD',
      markupBps,
    };
  }

  /**
   * Delivery figures shown with a quote: the service in the country, every provider together (the
   * buyer picks service and country; routing picks the provider).
   */
  async delivery(service: string, country: string): Promise<DeliveryView> {
    const figures = await this.deliveryStats?.snapshot();
    return figures?.overall(service, country) ?? NO_FIGURES;
  }

  /** Drops cached provider data (tests, admin price edits). */
  invalidate(): void {
    this.services = null;
    this.prices.clear();
    this.stock.clear();
    this.markupOverrides = null;
  }

  /** Sets (or clears with null) a per-service markup override, in the caller's transaction (`tx`) when given. */
  async setMarkupOverride(serviceName: string, markupBps: number | null, tx: Db = this.db): Promise<void> {
    await store.setMarkupOverride(tx, serviceName, markupBps);
    this.markupOverrides = null;
  }

  /** Every per-service markup override (admins' pricing page). */
  markupOverrideList(): Promise<{ serviceName: string; markupBps: number }[]> {
    return store.markupOverrides(this.db);
  }
}

/**
 * Where prices and stock come from when more than one provider can sell (routing's cheapest
 * offer); without it, TextVerified's own price and inventory. Errors are AppErrors.
 */
export type OfferSource = (request: {
  service: string;
  country: string;
  capability: Capability;
  areaCode: boolean;
  carrier: boolean;
}) => Promise<{ costCents: number; stock: number | null }>;

export interface CatalogDeps {
  db: Db;
  /** The catalogue's list of services (and, without `offerSource`, its prices and stock). */
  textVerified: TextVerifiedClient | undefined;
  offerSource?: OfferSource | undefined;
  tiers: TiersService;
  settings: CatalogSettings;
  /** Absent: every service shows no delivery figures. */
  deliveryStats?: DeliveryFiguresSource | undefined;
}

export type CatalogService = Catalog;

/** The catalogue; build one per process (its caches are what keep provider look-ups down). */
export function createCatalogService(deps: CatalogDeps): CatalogService {
  return new Catalog(deps);
}
