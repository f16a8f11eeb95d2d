import { eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { AppError, notFound, providerUnavailable } from '../../platform/errors.js';
import type { PlatformDeps } from '../../platform/module.js';
import {
  isTextVerifiedError,
  type TextVerifiedClient,
  type TextVerifiedService,
} from '../../providers/textverified/index.js';
import { getTier } from '../tiers/service.js';
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
import { catalogPriceOverrides } from './schema.js';

export interface CatalogService {
  name: string;
  displayName: string;
  category: string;
  capabilities: Capability[];
}

export interface QuoteRequest {
  tierName: string;
  service: string;
  country: string;
  capability: Capability;
  areaCode: boolean;
  carrier: boolean;
}

export interface Quote extends PriceBreakdown {
  service: string;
  country: string;
  capability: Capability;
  tier: string;
  currency: 'USD';
  markupBps: number;
}

interface Cached<T> {
  value: Promise<T>;
  expiresAt: number;
}

/**
 * The catalogue: the provider's services and prices, cached in memory for `cacheTtlSeconds`
 * (concurrent callers share one in-flight request). One instance per process and database.
 */
export class Catalog {
  private services: Cached<TextVerifiedService[]> | null = null;
  private readonly prices = new Map<string, Cached<number>>();
  private readonly markups = new Map<string, Cached<number>>();

  constructor(
    private readonly db: Db,
    private readonly client: TextVerifiedClient | undefined,
    private readonly settings: { markupBps: number; cacheTtlSeconds: number },
  ) {}

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

  async listServices(query: { country?: string; q?: string } = {}): Promise<CatalogService[]> {
    if (query.country && !isAvailableCountry(query.country)) return [];
    const services = await this.providerServices();
    return services
      .filter((s) => matchesQuery(s, query.q))
      .map((s) => ({
        name: s.serviceName,
        displayName: s.displayName,
        category: categoryOf(s.serviceName),
        capabilities:
          s.capability === 'smsAndVoiceCombo'
            ? (['sms', 'voice'] as Capability[])
            : (['sms'] as Capability[]),
      }));
  }

  countries() {
    return COUNTRIES;
  }

  async findService(name: string): Promise<CatalogService | undefined> {
    const all = await this.listServices();
    return all.find((s) => s.name === name.toLowerCase());
  }

  private providerCost(
    service: string,
    capability: Capability,
    areaCode: boolean,
    carrier: boolean,
  ): Promise<number> {
    const key = `${service}|${capability}|${areaCode}|${carrier}`;
    return this.cached(
      this.prices.get(key),
      () =>
        this.fromProvider(
          async (c) =>
            (await c.priceVerification({ serviceName: service, capability, areaCode, carrier })).priceCents,
        ),
      (entry) => this.prices.set(key, entry),
    );
  }

  private markupFor(service: string): Promise<number> {
    return this.cached(
      this.markups.get(service),
      async () => {
        const [row] = await this.db
          .select({ markupBps: catalogPriceOverrides.markupBps })
          .from(catalogPriceOverrides)
          .where(eq(catalogPriceOverrides.serviceName, service));
        return row?.markupBps ?? this.settings.markupBps;
      },
      (entry) => this.markups.set(service, entry),
    );
  }

  /** The price the caller's tier pays; the same figure a purchase charges. */
  async quote(request: QuoteRequest): Promise<Quote> {
    if (!isAvailableCountry(request.country)) {
      throw new AppError(404, 'not_found', `Numbers in country ${request.country} are not offered.`);
    }
    const tier = await getTier(this.db, request.tierName);
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

  /** Drops cached provider data (tests, admin price edits). */
  invalidate(): void {
    this.services = null;
    this.prices.clear();
    this.markups.clear();
  }
}

const catalogs = new WeakMap<object, WeakMap<object, Catalog>>();
const NO_CLIENT = {};

/** The process's catalogue for these deps (shared by the routes, purchases and jobs). */
export function catalogFor(deps: Pick<PlatformDeps, 'database' | 'providers' | 'config'>): Catalog {
  let byClient = catalogs.get(deps.database);
  if (!byClient) {
    byClient = new WeakMap();
    catalogs.set(deps.database, byClient);
  }
  const key = deps.providers.textVerified ?? NO_CLIENT;
  let catalog = byClient.get(key);
  if (!catalog) {
    catalog = new Catalog(deps.database.db, deps.providers.textVerified, deps.config.catalog);
    byClient.set(key, catalog);
  }
  return catalog;
}

/** Sets (or clears with null) a per-service markup override. */
export async function setMarkupOverride(
  db: Db,
  serviceName: string,
  markupBps: number | null,
): Promise<void> {
  if (markupBps === null) {
    await db.delete(catalogPriceOverrides).where(eq(catalogPriceOverrides.serviceName, serviceName));
    return;
  }
  await db
    .insert(catalogPriceOverrides)
    .values({ serviceName, markupBps })
    .onConflictDoUpdate({
      target: catalogPriceOverrides.serviceName,
      set: { markupBps, updatedAt: new Date() },
    });
}
