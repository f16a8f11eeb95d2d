import { useQuery } from '@tanstack/react-query';
import { api } from '../../api';
import { Empty, Spinner } from '../../components/ui';
import { type Delivery, type DeliveryFigure, deliveredPercent, formatSeconds } from '../../delivery';
import { AdminError } from './common';

interface DeliveryByProvider {
  minOrders: number;
  computedAt: string;
  data: (Delivery & { service: string; country: string; provider: string })[];
}

const PROVIDER_NAMES: Record<string, string> = { textverified: 'TextVerified', fivesim: '5sim' };

function Figure({ figure }: { figure: DeliveryFigure | null }) {
  if (!figure) return <span className="muted">—</span>;
  return (
    <>
      {deliveredPercent(figure)}%
      {figure.medianSecondsToCode === null ? '' : ` · ${formatSeconds(figure.medianSecondsToCode)}`}
      <span className="muted"> ({figure.orders})</span>
    </>
  );
}

/** Each provider's share delivered and median time to the code, from our own orders. */
export function DeliveryByProviderCard() {
  const stats = useQuery({
    queryKey: ['admin', 'providers', 'delivery'],
    queryFn: () => api<DeliveryByProvider>('GET', '/api/v1/admin/providers/delivery'),
  });
  return (
    <section className="card card-flush" aria-labelledby="delivery-title">
      <div className="card-header card-header-padded">
        <h2 id="delivery-title">Delivery by provider</h2>
        {stats.data ? (
          <p className="muted small">
            Share of finished orders whose code arrived · median time to the code (orders). Shown from{' '}
            {stats.data.minOrders} orders in a window.
          </p>
        ) : null}
      </div>
      {stats.isPending || stats.error ? (
        <div className="card-body-padded">
          {stats.isPending ? <Spinner /> : null}
          <AdminError error={stats.error} />
        </div>
      ) : null}
      {stats.data && stats.data.data.length === 0 ? (
        <Empty title="No finished orders in the last 7 days" />
      ) : null}
      {stats.data && stats.data.data.length > 0 ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="delivery-title">
          <table className="table" id="delivery-by-provider">
            <caption className="visually-hidden">Delivery figures per service, country and provider</caption>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Country</th>
                <th scope="col">Provider</th>
                <th scope="col">Last 24 h</th>
                <th scope="col">Last 7 days</th>
              </tr>
            </thead>
            <tbody>
              {stats.data.data.map((row) => (
                <tr key={`${row.service}|${row.country}|${row.provider}`}>
                  <td>{row.service}</td>
                  <td>{row.country}</td>
                  <td>{PROVIDER_NAMES[row.provider] ?? row.provider}</td>
                  <td>
                    <Figure figure={row.last24h} />
                  </td>
                  <td>
                    <Figure figure={row.last7d} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
