import { Gauge } from 'prom-client';
import type { Logger } from './platform/logger.js';
import type { Metrics } from './platform/metrics.js';
import type { FiveSimClient } from './providers/fivesim/index.js';
import type { TextVerifiedClient } from './providers/textverified/index.js';

type Watched = Pick<TextVerifiedClient, 'circuitState' | 'getBalance'>;

/**
 * The upstream number providers as an operator watches them (label `provider`): whether this
 * process's circuit breaker is open (it fails purchases fast while the provider is down; routing
 * sends them elsewhere), and the prepaid balance purchases
 * draw on. The balance is asked for at most once a minute however often Prometheus scrapes; a
 * failed read keeps the last known value (the circuit and the job metrics report the outage), and
 * before the first successful read there is no series, so no "balance low" alert on a guess.
 */
export function registerProviderMetrics(
  metrics: Metrics,
  deps: {
    textVerified: TextVerifiedClient | undefined;
    fiveSim?: FiveSimClient | undefined;
    logger: Pick<Logger, 'warn'>;
  },
  balanceCacheMs = 60_000,
): void {
  const watched: [string, Watched][] = [];
  if (deps.textVerified) watched.push(['textverified', deps.textVerified]);
  if (deps.fiveSim) watched.push(['fivesim', deps.fiveSim]);
  if (watched.length === 0) return;
  new Gauge({
    name: 'namaskah_provider_circuit_open',
    help: 'Whether the circuit breaker in front of the provider is open (1) or letting calls through (0)',
    labelNames: ['provider'] as const,
    registers: [metrics.registry],
    collect() {
      for (const [provider, client] of watched) {
        const state = client.circuitState();
        this.set({ provider }, state === 'open' || state === 'isolated' ? 1 : 0);
      }
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
      await Promise.all(
        watched.map(async ([provider, client]) => {
          try {
            this.set({ provider }, await client.getBalance());
          } catch (error) {
            deps.logger.warn({ err: error, provider }, 'could not read the provider balance for /metrics');
          }
        }),
      );
    },
  });
}
