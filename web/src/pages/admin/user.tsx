import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api } from '../../api';
import { PageHeader, Spinner, StatusBadge } from '../../components/ui';
import { formatDate, formatMoney } from '../../money';
import { useMe } from '../../session';
import { AdminError, YesNo, formatBps } from './common';
import { Activity, Ledger, Topups, Verifications } from './user-lists';
import type { UserDetail } from './types';
import { AdjustBalance, SuspendControl, userKey } from './user-actions';

function Flags({ detail }: { detail: UserDetail }) {
  const { user, tier } = detail;
  return (
    <section className="card" aria-labelledby="flags-title">
      <h2 id="flags-title">Account</h2>
      <dl className="facts admin-flags">
        <div>
          <dt>Status</dt>
          <dd id="user-status">
            <StatusBadge status={user.status} />
          </dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd>{user.role}</dd>
        </div>
        <div>
          <dt>Tier</dt>
          <dd>
            {tier.displayName} ({formatBps(tier.priceMultiplierBps)})
          </dd>
        </div>
        <div>
          <dt>E-mail confirmed</dt>
          <dd>
            <YesNo value={user.emailConfirmed} />
          </dd>
        </div>
        <div>
          <dt>Two-factor authentication</dt>
          <dd>
            <YesNo value={user.mfaEnabled} />
          </dd>
        </div>
        <div>
          <dt>Joined</dt>
          <dd>{formatDate(user.createdAt)}</dd>
        </div>
      </dl>
      <p className="muted small">
        Id <code className="mono">{user.id}</code> ·{' '}
        <Link to={`/admin/audit-log?subjectId=${user.id}`}>audit entries about this user</Link>
      </p>
    </section>
  );
}

function WalletStats({ detail }: { detail: UserDetail }) {
  return (
    <div className="stat-grid">
      <div className="card stat">
        <span className="stat-label">Available balance</span>
        <span className="stat-value" id="admin-user-balance">
          {formatMoney(detail.wallet.balance)}
        </span>
      </div>
      <div className="card stat">
        <span className="stat-label">Held by open orders</span>
        <span className="stat-value">{formatMoney(detail.wallet.held)}</span>
      </div>
      <div className="card stat">
        <span className="stat-label">Free verifications</span>
        <span className="stat-value">{detail.wallet.includedUsage.freeVerifications}</span>
      </div>
    </div>
  );
}

function ApiKeys({ detail }: { detail: UserDetail }) {
  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      {detail.apiKeys.length === 0 ? (
        <p className="muted">No API keys.</p>
      ) : (
        <ul className="list">
          {detail.apiKeys.map((key) => (
            <li key={key.id} className="list-row">
              <div>
                <div>
                  {key.name} <code className="mono">{key.prefix}…</code>
                </div>
                <div className="muted small">{key.scopes.join(', ')}</div>
              </div>
              <span className="muted small">last used {formatDate(key.lastUsedAt)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** One user: flags, wallet, the actions on the account, its ledger, orders and keys. */
export function UserPage() {
  const { id = '' } = useParams();
  const me = useMe();
  const detail = useQuery({
    queryKey: userKey(id),
    queryFn: () => api<UserDetail>('GET', `/api/v1/admin/users/${id}`),
  });
  if (detail.isPending) return <Spinner />;
  if (detail.isError)
    return (
      <>
        <PageHeader title="User" />
        <AdminError error={detail.error} />
        <Link to="/admin/users">Back to the users</Link>
      </>
    );
  const user = detail.data.user;
  return (
    <>
      <p className="admin-breadcrumb">
        <Link to="/admin/users">Users</Link> / {user.email}
      </p>
      <PageHeader title={user.email} description={`${user.role} · ${user.tier}`} />
      {user.status === 'suspended' ? (
        <div className="notice notice-warning" role="status">
          This account is suspended: it cannot sign in, and its sessions and API keys are refused.
        </div>
      ) : null}
      <WalletStats detail={detail.data} />
      <Flags detail={detail.data} />
      <div className="admin-actions">
        <AdjustBalance user={user} />
        <SuspendControl user={user} self={me.data?.id === user.id} />
      </div>
      <Ledger id={id} />
      <Verifications id={id} />
      <Topups id={id} />
      <ApiKeys detail={detail.data} />
      <Activity id={id} />
    </>
  );
}
