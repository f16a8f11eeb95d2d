import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { type Page, type Verification, api } from '../api';
import { useServiceName } from '../catalog';
import { Empty, ErrorNote, PageHeader, Spinner, StatusBadge } from '../components/ui';
import { formatDate, formatMoney } from '../money';
import { useMe, useWallet } from '../session';
import { useMyTier } from '../tiers';

export default function Dashboard() {
  const me = useMe();
  const wallet = useWallet();
  const serviceName = useServiceName();
  const tier = useMyTier();
  const active = useQuery({
    queryKey: ['verifications', 'active'],
    queryFn: () => api<Page<Verification>>('GET', '/api/v1/verifications?status=pending,active&limit=10'),
    refetchInterval: 15_000,
  });
  const recent = useQuery({
    queryKey: ['verifications', 'any'],
    queryFn: () => api<Page<Verification>>('GET', '/api/v1/verifications?limit=1'),
  });
  const firstRun = recent.data?.data.length === 0;

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={me.data ? `Signed in as ${me.data.email}` : undefined}
        actions={
          <Link to="/verify" className="button button-primary">
            New verification
          </Link>
        }
      />
      {wallet.isError ? <ErrorNote message={wallet.error.message} /> : null}
      <div className="stat-grid">
        <div className="card stat">
          <span className="stat-label">Available balance</span>
          <span className="stat-value" id="balance">
            {wallet.data ? formatMoney(wallet.data.balance) : '…'}
          </span>
          <Link to="/wallet" className="stat-link">
            Top up
          </Link>
        </div>
        <div className="card stat">
          <span className="stat-label">Held by open orders</span>
          <span className="stat-value">{wallet.data ? formatMoney(wallet.data.held) : '…'}</span>
        </div>
        <div className="card stat">
          <span className="stat-label">Free verifications</span>
          <span className="stat-value">
            {wallet.data ? wallet.data.includedUsage.freeVerifications : '…'}
          </span>
          <Link to="/plans" className="stat-link">
            Plan: {tier?.displayName ?? me.data?.tier ?? '…'}
          </Link>
        </div>
      </div>

      {firstRun ? (
        <section className="card first-run" aria-labelledby="first-run-title">
          <h2 id="first-run-title">Get your first code in three steps</h2>
          <ol className="checklist">
            <li className={me.data?.emailConfirmed ? 'done' : ''}>
              Confirm your e-mail address {me.data?.emailConfirmed ? '(done)' : '— open the link we sent you'}
            </li>
            <li>
              <Link to="/wallet">Top up your wallet</Link> — or use your free verification.
            </li>
            <li>
              <Link to="/verify">Buy a number</Link> and watch the code arrive live.
            </li>
          </ol>
        </section>
      ) : null}

      <section className="card" aria-labelledby="active-title">
        <div className="card-header">
          <h2 id="active-title">Active verifications</h2>
          <Link to="/history">View history</Link>
        </div>
        {active.isPending ? <Spinner /> : null}
        {active.isError ? <ErrorNote message={active.error.message} /> : null}
        {active.data && active.data.data.length === 0 ? (
          <Empty title="No active verifications">
            Numbers you buy show up here until their code arrives.
          </Empty>
        ) : null}
        {active.data && active.data.data.length > 0 ? (
          <ul className="list">
            {active.data.data.map((v) => (
              <li key={v.id} className="list-row">
                <div>
                  <strong>{serviceName(v.service)}</strong>{' '}
                  <span className="mono">{v.phoneNumber ?? 'assigning…'}</span>
                  <div className="muted small">Until {formatDate(v.expiresAt)}</div>
                </div>
                <div className="list-row-end">
                  <StatusBadge status={v.status} />
                  <span>{formatMoney(v.price)}</span>
                  <Link to={`/verify?id=${v.id}`} className="button button-secondary button-small">
                    Open
                  </Link>
                </div>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
    </>
  );
}
