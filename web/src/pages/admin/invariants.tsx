import { useQuery } from '@tanstack/react-query';
import { api } from '../../api';
import { PageHeader, Spinner } from '../../components/ui';
import { formatDate } from '../../money';
import { AdminError } from './common';
import type { InvariantReport } from './types';

/** The ledger's own check (SPEC §2): every transaction balances, every wallet matches its entries. */
export function Invariants() {
  const report = useQuery({
    queryKey: ['admin', 'invariants'],
    queryFn: () => api<InvariantReport>('GET', '/api/v1/admin/invariants'),
    // A check reads the whole ledger: run it when asked, not on every focus of the window.
    refetchOnWindowFocus: false,
  });
  return (
    <>
      <PageHeader
        title="Ledger invariants"
        description="Double entry, balances that match their entries, no orphaned holds."
        actions={
          <button
            type="button"
            className="button button-secondary"
            id="invariants-run"
            disabled={report.isFetching}
            onClick={() => void report.refetch()}
          >
            {report.isFetching ? 'Checking…' : 'Check again'}
          </button>
        }
      />
      {report.isPending ? <Spinner label="Checking the ledger…" /> : null}
      <AdminError error={report.error} />
      {report.data ? (
        <>
          <div
            className={`notice ${report.data.ok ? 'notice-success' : 'notice-danger'}`}
            role="status"
            id="invariants-result"
          >
            {report.data.ok
              ? 'All invariants hold.'
              : `${report.data.violations.length} violation${report.data.violations.length === 1 ? '' : 's'} found.`}{' '}
            <span className="muted small">Checked {formatDate(report.data.checkedAt)}.</span>
          </div>
          <div className="stat-grid admin-stat-grid-4">
            {(
              [
                ['Transactions', report.data.counts.transactions],
                ['Entries', report.data.counts.entries],
                ['Wallets', report.data.counts.wallets],
                ['Pending holds', report.data.counts.pendingHolds],
              ] as const
            ).map(([label, value]) => (
              <div key={label} className="card stat">
                <span className="stat-label">{label}</span>
                <span className="stat-value">{value.toLocaleString('en-US')}</span>
              </div>
            ))}
          </div>
          {report.data.violations.length > 0 ? (
            <section className="card card-flush" aria-labelledby="violations-title">
              <div className="card-header card-header-padded">
                <h2 id="violations-title">Violations</h2>
              </div>
              <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="violations-title">
                <table className="table">
                  <caption className="visually-hidden">Violations</caption>
                  <thead>
                    <tr>
                      <th scope="col">Rule</th>
                      <th scope="col">Subject</th>
                      <th scope="col">Detail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.data.violations.map((v) => (
                      <tr key={`${v.rule}:${v.subject}`}>
                        <td className="mono">{v.rule}</td>
                        <td className="mono">{v.subject}</td>
                        <td className="wrap">{v.detail}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          ) : null}
        </>
      ) : null}
    </>
  );
}
