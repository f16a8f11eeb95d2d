import { describe, expect, it } from 'vitest';
import { createMetrics } from './platform/metrics.js';
import type { FiveSimClient } from './providers/fivesim/index.js';
import type { TextVerifiedClient } from './providers/textverified/index.js';
import { registerProviderMetrics } from './provider-metrics.js';

type Circuit = ReturnType<TextVerifiedClient['circuitState']>;

/** The two calls the metrics make, scripted; any other call is a test failure. */
function fakeClient(state: { circuit: Circuit; balance: () => Promise<number> }) {
  const client = {
    circuitState: () => state.circuit,
    getBalance: () => state.balance(),
  };
  return client as unknown as TextVerifiedClient;
}

const silent = { warn: () => undefined };

async function value(metrics: ReturnType<typeof createMetrics>, name: string) {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return undefined;
  return (await metric.get()).values.map((v) => ({ ...v.labels, value: v.value }));
}

describe('provider metrics', () => {
  it('report the circuit as open only when calls are refused (open or isolated)', async () => {
    const state = { circuit: 'closed' as Circuit, balance: async () => 1234 };
    const metrics = createMetrics();
    registerProviderMetrics(metrics, { textVerified: fakeClient(state), logger: silent });
    const expected: [Circuit, number][] = [
      ['closed', 0],
      ['half_open', 0],
      ['open', 1],
      ['isolated', 1],
    ];
    for (const [circuit, open] of expected) {
      state.circuit = circuit;
      expect(await value(metrics, 'namaskah_provider_circuit_open'), circuit).toEqual([
        { provider: 'textverified', value: open },
      ]);
    }
  });

  it('read the balance at most once per period and keep the last value when a read fails', async () => {
    let reads = 0;
    const state = {
      circuit: 'closed' as Circuit,
      balance: async () => {
        reads += 1;
        if (reads === 2) throw new Error('provider down');
        return reads * 100;
      },
    };
    const warnings: unknown[] = [];
    const metrics = createMetrics();
    registerProviderMetrics(
      metrics,
      { textVerified: fakeClient(state), logger: { warn: (o: unknown) => void warnings.push(o) } },
      0,
    );
    const balance = () => value(metrics, 'namaskah_provider_balance_cents');
    expect(await balance()).toEqual([{ provider: 'textverified', value: 100 }]);
    expect(await balance()).toEqual([{ provider: 'textverified', value: 100 }]);
    expect(warnings).toHaveLength(1);
    expect(await balance()).toEqual([{ provider: 'textverified', value: 300 }]);

    const cached = createMetrics();
    let cachedReads = 0;
    const counting = {
      circuit: 'closed' as Circuit,
      balance: async () => {
        cachedReads += 1;
        return 5000;
      },
    };
    registerProviderMetrics(cached, { textVerified: fakeClient(counting), logger: silent }, 60_000);
    await value(cached, 'namaskah_provider_balance_cents');
    await value(cached, 'namaskah_provider_balance_cents');
    expect(cachedReads).toBe(1);
  });

  it('label each configured provider apart (5sim beside TextVerified)', async () => {
    const metrics = createMetrics();
    registerProviderMetrics(
      metrics,
      {
        textVerified: fakeClient({ circuit: 'closed', balance: async () => 700 }),
        fiveSim: fakeClient({ circuit: 'open', balance: async () => 250 }) as unknown as FiveSimClient,
        logger: silent,
      },
      0,
    );
    expect(await value(metrics, 'namaskah_provider_circuit_open')).toEqual([
      { provider: 'textverified', value: 0 },
      { provider: 'fivesim', value: 1 },
    ]);
    expect(await value(metrics, 'namaskah_provider_balance_cents')).toEqual([
      { provider: 'textverified', value: 700 },
      { provider: 'fivesim', value: 250 },
    ]);
  });

  it('show no balance series before the first successful read, and nothing without a provider', async () => {
    const failing = createMetrics();
    registerProviderMetrics(
      failing,
      {
        textVerified: fakeClient({ circuit: 'open', balance: () => Promise.reject(new Error('down')) }),
        logger: silent,
      },
      0,
    );
    expect(await value(failing, 'namaskah_provider_balance_cents')).toEqual([]);

    const none = createMetrics();
    registerProviderMetrics(none, { textVerified: undefined, logger: silent });
    expect(await value(none, 'namaskah_provider_circuit_open')).toBeUndefined();
    expect(await none.registry.metrics()).not.toContain('namaskah_provider_');
  });
});
