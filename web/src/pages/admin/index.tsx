import './admin.css';
import { NavLink, Navigate, Route, Routes } from 'react-router';
import { Spinner } from '../../components/ui';
import { useMe } from '../../session';
import { AuditLog } from './audit-log';
import { MfaNeeded, NotAllowed } from './common';
import { Invariants } from './invariants';
import { Pricing } from './pricing';
import { ProvidersPage } from './providers';
import { TiersPage } from './tiers';
import { UserPage } from './user';
import { Users } from './users';

const SECTIONS: [string, string][] = [
  ['/admin/users', 'Users'],
  ['/admin/audit-log', 'Audit log'],
  ['/admin/invariants', 'Ledger invariants'],
  ['/admin/providers', 'Providers'],
  ['/admin/pricing', 'Pricing'],
  ['/admin/tiers', 'Tiers'],
];

/**
 * The administration area (SPEC §8), one lazily loaded bundle. The API decides who may use it (the
 * admin role and two-factor authentication); the page only says so first instead of failing.
 */
export default function Admin() {
  const me = useMe();
  if (!me.data) return <Spinner />;
  if (me.data.role !== 'admin') return <NotAllowed />;
  if (!me.data.mfaEnabled) return <MfaNeeded />;
  return (
    <div className="admin">
      <nav aria-label="Administration" className="admin-nav">
        {SECTIONS.map(([to, label]) => (
          <NavLink key={to} to={to} className="admin-nav-link">
            {label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Navigate to="/admin/users" replace />} />
        <Route path="users" element={<Users />} />
        <Route path="users/:id" element={<UserPage />} />
        <Route path="audit-log" element={<AuditLog />} />
        <Route path="invariants" element={<Invariants />} />
        <Route path="providers" element={<ProvidersPage />} />
        <Route path="pricing" element={<Pricing />} />
        <Route path="tiers" element={<TiersPage />} />
        <Route path="*" element={<Navigate to="/admin/users" replace />} />
      </Routes>
    </div>
  );
}
