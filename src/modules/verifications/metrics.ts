import { sql } from 'drizzle-orm';
import { Gauge } from 'prom-client';
import type { Db } from '../../platform/db/database.js';
import { rawRows } from '../../platform/db/raw.js';
import type { Metrics } from '../../platform/metrics.js';

/** How long past due an order may stay open before it counts as stuck (sweeps run every minute). */
const STUCK_AFTER_MINUTES = 5;

/**
 * Orders whose money is held while nothing moves them on: `pending` (the purchase's outcome at
 * the provider is unknown and the reconciler has not settled it) for over five minutes, or
 * `active` five minutes past their end (the expiry sweep is not running). Counted at most every
 * 30 s however often Prometheus scrapes; the partial index on open orders keeps it cheap.
 */
export function registerVerificationMetrics(metrics: Metrics, db: Db, cacheMs = 30_000): void {
  let last: { at: number; pending: number; active: number } | undefined;
  new Gauge({
    name: 'namaskah_verifications_stuck',
    help: `Open verification orders ${STUCK_AFTER_MINUTES}+ minutes overdue, by status (pending: outcome unknown; active: past its end)`,
    labelNames: ['status'] as const,
    registers: [metrics.registry],
    async collect() {
      if (!last || Date.now() - last.at >= cacheMs) {
        const [row] = await rawRows<{ pending: number; active: number }>(
          db,
          sql`select
                count(*) filter (where status = 'pending'
                  and created_at < now() - make_interval(mins => ${STUCK_AFTER_MINUTES}))::int as pending,
                count(*) filter (where status = 'active'
                  and ends_at < now() - make_interval(mins => ${STUCK_AFTER_MINUTES}))::int as active
              from verifications where status in ('pending', 'active')`,
        );
        last = { at: Date.now(), pending: row?.pending ?? 0, active: row?.active ?? 0 };
      }
      this.set({ status: 'pending' }, last.pending);
      this.set({ status: 'active' }, last.active);
    },
  });
}
