import { sql } from 'drizzle-orm';
import { Gauge } from 'prom-client';
import type { Db } from '../../platform/db/database.js';
import { rawRows } from '../../platform/db/raw.js';
import type { Metrics } from '../../platform/metrics.js';

/** The window the attempt counts cover. */
const ATTEMPT_WINDOW_MINUTES = 15;

/**
 * Delivery health, read from the delivery log at most every 30 s: attempts of the last fifteen
 * minutes by outcome (one developer's broken endpoint fails a few; most of them failing points at
 * our side: egress, DNS, the sender) and deliveries due for over five minutes that no worker has
 * attempted (the delivery job is not running).
 */
export function registerWebhooksMetrics(metrics: Metrics, db: Db, cacheMs = 30_000): void {
  let last: { at: number; failed: number; succeeded: number; overdue: number } | undefined;
  const read = async () => {
    if (!last || Date.now() - last.at >= cacheMs) {
      const [attempts] = await rawRows<{ failed: number; succeeded: number }>(
        db,
        sql`select count(*) filter (where error is not null)::int as failed,
                   count(*) filter (where error is null)::int as succeeded
              from webhook_attempts
             where attempted_at > now() - make_interval(mins => ${ATTEMPT_WINDOW_MINUTES})`,
      );
      const [due] = await rawRows<{ overdue: number }>(
        db,
        sql`select count(*)::int as overdue from webhook_deliveries
             where status = 'pending' and next_attempt_at < now() - interval '5 minutes'`,
      );
      last = {
        at: Date.now(),
        failed: attempts?.failed ?? 0,
        succeeded: attempts?.succeeded ?? 0,
        overdue: due?.overdue ?? 0,
      };
    }
    return last;
  };
  new Gauge({
    name: 'namaskah_webhook_attempts_recent',
    help: `Webhook delivery attempts in the last ${ATTEMPT_WINDOW_MINUTES} minutes, by outcome`,
    labelNames: ['outcome'] as const,
    registers: [metrics.registry],
    async collect() {
      const { failed, succeeded } = await read();
      this.set({ outcome: 'failed' }, failed);
      this.set({ outcome: 'succeeded' }, succeeded);
    },
  });
  metrics.gauge(
    'namaskah_webhook_deliveries_overdue',
    'Webhook deliveries due for over 5 minutes and not attempted (the delivery job is not running)',
    async () => (await read()).overdue,
  );
}
