import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so tests can build many apps in one process. */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  jobFailures: Counter<'queue'>;
  /**
   * Expiry sweeps that could not take a last look at the provider: `deferred` to the next sweep, or
   * `expired_unchecked` once the order was past its window longer than the bound.
   */
  expiryDeferrals: Counter<'outcome'>;
  /** Registers a gauge whose value is computed at scrape time. */
  gauge(name: string, help: string, read: () => Promise<number>): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'namaskah_' });
  const httpDuration = new Histogram({
    name: 'namaskah_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const jobFailures = new Counter({
    name: 'namaskah_job_failures_total',
    help: 'Background job runs that threw',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const expiryDeferrals = new Counter({
    name: 'namaskah_verification_expiry_deferrals_total',
    help: 'Verification expiries deferred because the last look at the provider failed (or expired unchecked past the bound)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    registry,
    httpDuration,
    jobFailures,
    expiryDeferrals,
    gauge(name, help, read) {
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          this.set(await read());
        },
      });
    },
  };
}
