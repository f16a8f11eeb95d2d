import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { type Page, api } from '../api';
import { formatDate } from '../money';
import { Empty, ErrorNote, Spinner, StatusBadge } from './ui';

/** `GET /api/v1/webhook-endpoints/:id/deliveries` rows (src/modules/webhooks/views.ts). */
export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  status: 'pending' | 'delivering' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  log: {
    attemptedAt: string;
    statusCode: number | null;
    durationMs: number;
    error: string | null;
    responseExcerpt: string | null;
    nextRetryAt: string | null;
  }[];
}

export const deliveriesKey = (endpointId: string) => ['webhook-deliveries', endpointId];

/** What the receiver answered last: its status code, or why there was no answer. */
function response(delivery: Delivery): string {
  if (delivery.lastStatusCode !== null) return String(delivery.lastStatusCode);
  if (delivery.lastError) return delivery.lastError;
  return '—';
}

function Attempts({ delivery }: { delivery: Delivery }) {
  if (delivery.log.length === 0) return <span>{delivery.attempts}</span>;
  return (
    <details className="attempts">
      <summary>{delivery.attempts}</summary>
      <ol className="attempt-list small">
        {delivery.log.map((attempt) => (
          <li key={attempt.attemptedAt}>
            {formatDate(attempt.attemptedAt)}: {attempt.statusCode ?? attempt.error ?? 'no answer'} in{' '}
            {attempt.durationMs} ms
            {attempt.nextRetryAt ? ` · retry ${formatDate(attempt.nextRetryAt)}` : ''}
          </li>
        ))}
      </ol>
    </details>
  );
}

/** An endpoint's delivery log, newest first, kept fresh while the page is open. */
export function DeliveryLog({ endpointId, label }: { endpointId: string; label: string }) {
  const queryClient = useQueryClient();
  const deliveries = useInfiniteQuery({
    queryKey: deliveriesKey(endpointId),
    queryFn: ({ pageParam }) => {
      const query = new URLSearchParams({ limit: '20' });
      if (pageParam) query.set('cursor', pageParam);
      return api<Page<Delivery>>('GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries?${query}`);
    },
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Events are delivered by a background job: the log shows them as they go out.
    refetchInterval: 5_000,
  });
  const redeliver = useMutation({
    mutationFn: (id: string) => api<Delivery>('POST', `/api/v1/webhook-deliveries/${id}/redeliver`, {}),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: deliveriesKey(endpointId) }),
  });
  const rows = deliveries.data?.pages.flatMap((page) => page.data) ?? [];
  const titleId = `deliveries-${endpointId}`;

  return (
    <div className="delivery-log">
      <h4 id={titleId}>Delivery log</h4>
      {deliveries.isPending ? <Spinner label="Loading deliveries…" /> : null}
      {deliveries.isError ? <ErrorNote message={deliveries.error.message} /> : null}
      {deliveries.data && rows.length === 0 ? (
        <Empty title="No deliveries yet">Send a test event, or wait for the next event.</Empty>
      ) : null}
      {rows.length > 0 ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-labelledby={titleId}>
          <table className="table deliveries-table">
            <caption className="visually-hidden">Deliveries to {label}</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Response</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id} data-event-type={d.eventType} data-status={d.status}>
                  <td className="wrap delivery-event">
                    <span className="mono small">{d.eventType}</span>
                    <div className="muted small mono">{d.eventId}</div>
                  </td>
                  <td>
                    <StatusBadge status={d.status} />
                    {d.nextAttemptAt ? (
                      <div className="muted small">next try {formatDate(d.nextAttemptAt)}</div>
                    ) : null}
                  </td>
                  <td className="num">
                    <Attempts delivery={d} />
                  </td>
                  <td className="mono small wrap delivery-response">{response(d)}</td>
                  <td className="small wrap delivery-created">{formatDate(d.createdAt)}</td>
                  <td className="num">
                    <button
                      type="button"
                      className="button button-secondary button-small redeliver-btn"
                      disabled={redeliver.isPending}
                      aria-label={`Redeliver ${d.eventType} ${d.eventId}`}
                      onClick={() => redeliver.mutate(d.id)}
                    >
                      Redeliver
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ErrorNote message={redeliver.error?.message} />
      {deliveries.hasNextPage ? (
        <button
          type="button"
          className="button button-ghost load-more"
          disabled={deliveries.isFetchingNextPage}
          onClick={() => void deliveries.fetchNextPage()}
        >
          {deliveries.isFetchingNextPage ? 'Loading…' : 'Older deliveries'}
        </button>
      ) : null}
    </div>
  );
}
