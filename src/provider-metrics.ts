import { Gauge } from 'prom-client';
import type { Logger } from './platform/logger.js';
import type { Metrics } from './platform/metrics.js';
import type { TextVerifiedClient } from './providers/textverified/index.js';

/**
 * The upstream number provider as an operator watches it: whether this process's circuit breaker
 * is open (it fails purchases fast while TextVerified is down), and the prepaid balance purchases
 * draw on. The balance is asked for at most once a minute however often Prometheus scrapes; a
 * failed read keeps the last known value (the circuit and the job metrics report the outage), and
 * before the first successful read there is no series, so no "balance low" alert on a guess.
 */
export function registerProviderMetrics(
  metrics: Metrics,
  deps: { textVerified: TextVerifiedClient | undefined; logger: Pick<Logger, 'warn'> },
  balanceCacheMs = 60_000,
): void {
  const client = deps.textVerified;
  if (!client) return;
  new Gauge({
    name: 'namaskah_provider_circuit_open',
    help: 'Whether the circuit breaker in front of the provider is open (1) or letting calls through (0)',
    labelNames: ['provider'] as const,
    registers: [metrics.registry],
    collect() {
      const state = client.circuitState();
      this.set({ provider: 'textverified' }, state === 'open' || state === 'isolated' ? 1 : 0);
    },
  });
  let checkedAt = 0;
  new Gauge({
    name: 'namaskah_provider_balance_cents',
    help: 'Prepaid balance at the provider, in US cents (read at most once a minute)',
    labelNames: ['provider'] as const,
    registers: [metrics.registry],
    async collect() {
      if (Date.now() - checkedAt < balanceCacheMs) return;
      checkedAt = Date.now();
      try {
        this.set({ provider: 'textverified' }, await client.getBalance());
      } catch (error) {
        deps.logger.warn({ err: error }, 'could not read the provider balance for /metrics');
      }
    },
  });
}
