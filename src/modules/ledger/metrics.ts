import type { Db } from '../../platform/db/database.js';
import type { Metrics } from '../../platform/metrics.js';
import { checkLedgerInvariants } from './invariants.js';

/** The invariant checker as a gauge; checked at most every 30 s however often Prometheus scrapes. */
export function registerLedgerMetrics(metrics: Metrics, db: Db, cacheMs = 30_000): void {
  let last: { at: number; value: number } | undefined;
  metrics.gauge(
    'namaskah_ledger_invariant_violations',
    'Ledger invariant violations found by the checker (must be 0)',
    async () => {
      if (!last || Date.now() - last.at >= cacheMs) {
        const report = await checkLedgerInvariants(db);
        last = { at: Date.now(), value: report.violations.length };
      }
      return last.value;
    },
  );
}
