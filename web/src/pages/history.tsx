import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { type Page, type Verification, api } from '../api';
import { useServiceName } from '../catalog';
import { Empty, ErrorNote, PageHeader, Spinner, StatusBadge } from '../components/ui';
import { formatDate, formatMoney } from '../money';

const STATUSES = ['pending', 'active', 'completed', 'canceled', 'expired', 'failed'];

function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  // A leading = + - @ would be a formula in a spreadsheet: quote it as text.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function exportCsv(rows: Verification[]) {
  const header = [
    'id',
    'created_at',
    'service',
    'country',
    'phone_number',
    'status',
    'code',
    'price',
    'currency',
  ];
  const lines = rows.map((v) =>
    [
      v.id,
      v.createdAt,
      v.service,
      v.country,
      v.phoneNumber,
      v.status,
      v.code,
      (v.price.amount / 100).toFixed(2),
      v.price.currency,
    ]
      .map(csvCell)
      .join(','),
  );
  const blob = new Blob([[header.join(','), ...lines].join('\n') + '\n'], { type: 'text/csv' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `namaskah-history-${new Date().toISOString().slice(0, 10)}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export default function History() {
  const [status, setStatus] = useState('');
  const serviceName = useServiceName();
  const history = useInfiniteQuery({
    queryKey: ['verifications', 'history', status],
    queryFn: ({ pageParam }) => {
      const query = new URLSearchParams({ limit: '25' });
      if (status) query.set('status', status);
      if (pageParam) query.set('cursor', pageParam);
      return api<Page<Verification>>('GET', `/api/v1/verifications?${query.toString()}`);
    },
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = history.data?.pages.flatMap((p) => p.data) ?? [];

  return (
    <>
      <PageHeader
        title="History"
        description="Every number you bought, with its code and what it cost."
        actions={
          <button
            type="button"
            className="button button-secondary"
            disabled={rows.length === 0}
            onClick={() => exportCsv(rows)}
            id="export-csv"
          >
            Export CSV
          </button>
        }
      />
      <div className="toolbar">
        <label htmlFor="status-filter">Status</label>
        <select
          id="status-filter"
          className="input input-inline"
          value={status}
          onChange={(e) => setStatus(e.target.value)}
        >
          <option value="">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="card card-flush">
        {history.isPending ? <Spinner /> : null}
        {history.isError ? <ErrorNote message={history.error.message} /> : null}
        {history.isSuccess && rows.length === 0 ? (
          <Empty title="Nothing here yet">
            <Link to="/verify">Buy your first number</Link>
          </Empty>
        ) : null}
        {rows.length > 0 ? (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Verifications">
            <table className="table history-table">
              <caption className="visually-hidden">Verifications</caption>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Service</th>
                  <th scope="col">Number</th>
                  <th scope="col">Status</th>
                  <th scope="col">Code</th>
                  <th scope="col" className="num">
                    Price
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((v) => (
                  <tr key={v.id}>
                    <td>
                      <Link to={`/verify?id=${v.id}`}>{formatDate(v.createdAt)}</Link>
                    </td>
                    <td>{serviceName(v.service)}</td>
                    <td className="mono">{v.phoneNumber ?? '—'}</td>
                    <td>
                      <StatusBadge status={v.status} />
                    </td>
                    <td className="mono">{v.code ?? '—'}</td>
                    <td className="num">{formatMoney(v.price)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </div>
      {history.hasNextPage ? (
        <button
          type="button"
          className="button button-secondary load-more"
          disabled={history.isFetchingNextPage}
          onClick={() => void history.fetchNextPage()}
        >
          {history.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </>
  );
}
