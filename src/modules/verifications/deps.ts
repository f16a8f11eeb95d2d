/** What the verification use cases share: their dependencies and the few helpers every one needs. */
import type { Db } from '../../platform/db/database.js';
import { providerUnavailable } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import type { CatalogService } from '../catalog/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { FiveSimClient } from '../../providers/fivesim/index.js';
import type { TextVerifiedClient } from '../../providers/textverified/index.js';
import type { BuyRequest, RoutingService, Upstream } from '../routing/index.js';
import type { TiersService } from '../tiers/index.js';
import type { EventType, WebhooksService } from '../webhooks/index.js';
import type { VerificationEventBus } from './events.js';
import type { VerificationRow } from './store.js';
import { providerIdempotencyKey } from './domain.js';
import { toView } from './views.js';

export interface VerificationDeps {
  db: Db;
  logger: Pick<Logger, 'warn' | 'error'>;
  metrics: Pick<Metrics, 'expiryDeferrals'>;
  /** The configured upstreams and the order to try them in; an order uses its own provider for life. */
  routing: RoutingService;
  /**
   * Reuse and reactivation are provider operations the routing adapters do not have: the renewers
   * call the clients directly (each absent when its provider is not configured).
   */
  textVerified?: TextVerifiedClient | undefined;
  fiveSim?: FiveSimClient | undefined;
  ledger: LedgerService;
  tiers: TiersService;
  catalog: CatalogService;
  /** Announces committed changes to the SSE streams of every instance. */
  events: VerificationEventBus;
  /** The developer webhooks outbox: events written in the transaction of the change they announce. */
  webhooks: Pick<WebhooksService, 'emitEvent'>;
}

/** The upstream the order was bought from, or 503 when it is no longer configured. */
export function provider(deps: VerificationDeps, order: Pick<VerificationRow, 'provider'>): Upstream {
  const upstream = deps.routing.upstream(order.provider);
  if (!upstream) throw providerUnavailable(`The order's SMS provider (${order.provider}) is not configured.`);
  return upstream;
}

/** Tells every open event stream of the order that it changed (after the commit). */
export const announce = (deps: VerificationDeps, id: string) => deps.events.publish(id);

/** Records the order's webhook event in `tx`, the transaction of the change it announces. */
export async function emitVerificationEvent(
  deps: VerificationDeps,
  tx: Db,
  type: Extract<EventType, `verification.${string}`>,
  order: VerificationRow,
): Promise<void> {
  await deps.webhooks.emitEvent(tx, { userId: order.userId, type, data: toView(order) });
}

/** The provider's create request for an order: the same for every attempt at it. */
export function createRequestOf(order: VerificationRow): BuyRequest {
  return {
    service: order.service,
    country: order.country,
    capability: order.capability,
    ...(order.options.areaCodes ? { areaCodes: order.options.areaCodes } : {}),
    ...(order.options.carrier ? { carrier: order.options.carrier } : {}),
    maxPriceCents: order.providerCostCents,
    idempotencyKey: providerIdempotencyKey(order.id),
  };
}
