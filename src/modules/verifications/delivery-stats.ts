/**
 * Delivery statistics (SPEC §14): from our own finished orders, per service, country and provider,
 * over the last 24 hours and the last 7 days, the share of orders whose code arrived and the median
 * time from purchase to the code.
 *
 * Which orders count (an order is placed in a window by its `created_at`):
 * - `completed`: delivered; time to the code = `completed_at − created_at` (completed_at is set when
 *   the first SMS arrives; a completed order later reported as a used number still had its SMS
 *   delivered, so it counts as delivered).
 * - `expired`: the window ended without an SMS: not delivered.
 * - `canceled` with a phone number: the user had a number and gave up before an SMS came (or
 *   reported the number while waiting): not delivered. We keep no cancel time, so an early
 *   change of mind counts the same; that is the conservative reading for a figure shown to buyers.
 * - left out: `canceled` before a number was assigned and `failed` (no number was ever bought:
 *   those measure stock, not delivery), and `pending` / `active` (no outcome yet).
 *
 * A window's figure is hidden (null) when fewer than `minOrders` orders count in it. One aggregate
 * query computes every group (GROUPING SETS: per provider, all providers, and all countries) and
 * the result is kept for `cacheSeconds`, so catalogue listings and quotes never scan orders.
 */
import type { Db } from '../../platform/db/database.js';
import type { ProviderName } from './domain.js';
import * as store from './store.js';

const HOUR_MS = 3_600_000;
const DAY_WINDOW_MS = 24 * HOUR_MS;
const WEEK_WINDOW_MS = 7 * 24 * HOUR_MS;

export interface DeliveryStatsSettings {
  /** Orders a window needs before its figure is shown. */
  minOrders: number;
  /** How long one computation is reused. */
  cacheSeconds: number;
}

/** One window's figure: `successRate` = delivered / orders; median in whole seconds (null: none delivered). */
export interface DeliveryFigure {
  orders: number;
  delivered: number;
  successRate: number;
  medianSecondsToCode: number | null;
}

/** Both windows; a window below the minimum sample is null. */
export interface DeliveryWindows {
  last24h: DeliveryFigure | null;
  last7d: DeliveryFigure | null;
}

/** One provider's figures for a service and country (the admins' providers view). */
export interface ProviderDeliveryStats extends DeliveryWindows {
  service: string;
  country: string;
  provider: ProviderName;
}

export interface DeliverySnapshot {
  computedAt: Date;
  /**
   * What buyers see: every provider together, for `country` (or every country when it is
   * undefined), since routing, not the buyer, picks the provider.
   */
  overall(service: string, country?: string): DeliveryWindows;
  /** Per provider, for one service and country. */
  forProvider(service: string, country: string, provider: ProviderName): DeliveryWindows;
  /** Every (service, country, provider) with at least one counted order in 7 days. */
  perProvider(): ProviderDeliveryStats[];
}

export interface DeliveryStats {
  /** Orders a window needs before its figure is shown. */
  readonly minOrders: number;
  /** The figures, at most `cacheSeconds` old (callers at once share one query; failures are not kept). */
  snapshot(): Promise<DeliverySnapshot>;
  /** Forgets the kept figures (tests). */
  invalidate(): void;
}

const HIDDEN: DeliveryWindows = Object.freeze({ last24h: null, last7d: null });

interface Counts {
  orders: number;
  delivered: number;
  medianSeconds: number | null;
}

/** The shown figure for a window's counts, or null below the minimum sample. */
export function deliveryFigure(counts: Counts, minOrders: number): DeliveryFigure | null {
  if (counts.orders === 0 || counts.orders < minOrders) return null;
  return {
    orders: counts.orders,
    delivered: counts.delivered,
    successRate: counts.delivered / counts.orders,
    medianSecondsToCode: counts.medianSeconds === null ? null : Math.round(counts.medianSeconds),
  };
}

const key = (...parts: string[]) => parts.join('|');

/** Runs the aggregate once and answers look-ups from it. */
export async function computeDeliverySnapshot(
  db: Db,
  minOrders: number,
  now: Date = new Date(),
): Promise<DeliverySnapshot> {
  const rows = await store.deliveryAggregate(db, {
    now,
    weekStart: new Date(now.getTime() - WEEK_WINDOW_MS),
    dayStart: new Date(now.getTime() - DAY_WINDOW_MS),
  });
  const overall = new Map<string, DeliveryWindows>();
  const byProvider = new Map<string, ProviderDeliveryStats>();
  for (const row of rows) {
    const windows: DeliveryWindows = {
      last24h: deliveryFigure(
        { orders: row.orders24h, delivered: row.delivered24h, medianSeconds: row.median24h },
        minOrders,
      ),
      last7d: deliveryFigure(
        { orders: row.orders7d, delivered: row.delivered7d, medianSeconds: row.median7d },
        minOrders,
      ),
    };
    if (row.level === 0) {
      byProvider.set(key(row.service, row.country, row.provider), {
        service: row.service,
        country: row.country,
        provider: row.provider,
        ...windows,
      });
    } else if (row.level === 1) {
      overall.set(key(row.service, row.country), windows);
    } else {
      overall.set(key(row.service, '*'), windows);
    }
  }
  return {
    computedAt: now,
    overall: (service, country) =>
      overall.get(key(service.toLowerCase(), country?.toUpperCase() ?? '*')) ?? HIDDEN,
    forProvider: (service, country, provider) => {
      const found = byProvider.get(key(service.toLowerCase(), country.toUpperCase(), provider));
      return found ? { last24h: found.last24h, last7d: found.last7d } : HIDDEN;
    },
    perProvider: () => [...byProvider.values()],
  };
}

export function createDeliveryStats(deps: { db: Db; settings: DeliveryStatsSettings }): DeliveryStats {
  let kept: { value: Promise<DeliverySnapshot>; expiresAt: number } | null = null;
  return {
    minOrders: deps.settings.minOrders,
    snapshot() {
      if (kept && kept.expiresAt > Date.now()) return kept.value;
      const value = computeDeliverySnapshot(deps.db, deps.settings.minOrders);
      const entry = { value, expiresAt: Date.now() + deps.settings.cacheSeconds * 1000 };
      kept = entry;
      value.catch(() => {
        entry.expiresAt = 0;
      });
      return value;
    },
    invalidate() {
      kept = null;
    },
  };
}
