import { useQuery } from '@tanstack/react-query';
import { api } from '../../api';
import { PageHeader, Spinner } from '../../components/ui';
import { formatMoney } from '../../money';
import { AdminError, YesNo } from './common';
import { DeliveryByProviderCard } from './delivery';
import type { Providers } from './types';

const CIRCUIT: Record<string, string> = {
  closed: 'Closed (calls go through)',
  open: 'Open (failing: calls fail fast)',
  half_open: 'Half open (trying again)',
  isolated: 'Isolated (turned off by hand)',
};

/** TextVerified's balance, health and circuit breaker; whether Paystack is configured. */
export function ProvidersPage() {
  const providers = useQuery({
    queryKey: ['admin', 'providers'],
    queryFn: () => api<Providers>('GET', '/api/v1/admin/providers'),
  });
  const tv = providers.data?.textVerified;
  return (
    <>
      <PageHeader
        title="Providers"
        description="The upstream services Namaskah buys numbers from and takes payments with."
        actions={
          <button
            type="button"
            className="button button-secondary"
            disabled={providers.isFetching}
            onClick={() => void providers.refetch()}
          >
            {providers.isFetching ? 'Refreshing…' : 'Refresh'}
          </button>
        }
      />
      {providers.isPending ? <Spinner /> : null}
      <AdminError error={providers.error} />
      {tv && providers.data ? (
        <div className="admin-provider-grid">
          <section className="card" aria-labelledby="tv-title">
            <h2 id="tv-title">TextVerified</h2>
            {tv.configured ? (
              <>
                <div
                  className={`notice ${tv.healthy ? 'notice-success' : 'notice-danger'}`}
                  role="status"
                  id="textverified-health"
                >
                  {tv.healthy ? 'Healthy' : `Unhealthy${tv.error ? `: ${tv.error}` : ''}`}
                </div>
                <dl className="facts admin-facts-2">
                  <div>
                    <dt>Account balance</dt>
                    <dd id="textverified-balance">{tv.balance ? formatMoney(tv.balance) : '—'}</dd>
                  </div>
                  <div>
                    <dt>Circuit breaker</dt>
                    <dd>{tv.circuit ? (CIRCUIT[tv.circuit] ?? tv.circuit) : '—'}</dd>
                  </div>
                </dl>
              </>
            ) : (
              <p className="muted">Not configured: no TextVerified credentials are set.</p>
            )}
          </section>
          <section className="card" aria-labelledby="paystack-title">
            <h2 id="paystack-title">Paystack</h2>
            <dl className="facts admin-facts-2">
              <div>
                <dt>Configured</dt>
                <dd>
                  <YesNo value={providers.data.paystack.configured} />
                </dd>
              </div>
            </dl>
          </section>
        </div>
      ) : null}
      <DeliveryByProviderCard />
    </>
  );
}
