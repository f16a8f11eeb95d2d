import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so tests can build many apps in one process. */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  jobFailures: Counter<'queue'>;
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
  return {
    registry,
    httpDuration,
    jobFailures,
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
