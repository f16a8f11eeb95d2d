import { formatDate, formatMoney } from '../../money';
import { StatementTable } from '../../components/statement-table';
import { StatusBadge } from '../../components/ui';
import { AuditDetails } from './audit-log';
import { PagedSection, usePaged } from './paged';
import type { AdminVerification, AuditEntry, StatementLine, TopupRow } from './types';
import { userKey } from './user-actions';

/** The lists on a user's page, each paged on its own. */

export function Ledger({ id }: { id: string }) {
  const paged = usePaged<StatementLine>([...userKey(id), 'ledger'], `/api/v1/admin/users/${id}/ledger`);
  return (
    <PagedSection id="ledger" title="Ledger statement" empty="No money has moved yet" paged={paged}>
      {(lines) => <StatementTable lines={lines} className="admin-ledger-table" />}
    </PagedSection>
  );
}

export function Verifications({ id }: { id: string }) {
  const paged = usePaged<AdminVerification>(
    [...userKey(id), 'verifications'],
    `/api/v1/admin/users/${id}/verifications`,
  );
  return (
    <PagedSection id="verifications" title="Verifications" empty="No numbers bought yet" paged={paged}>
      {(rows) => (
        <table className="table admin-verifications-table">
          <caption className="visually-hidden">Verifications</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Service</th>
              <th scope="col">Number</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Price
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((v) => (
              <tr key={v.id}>
                <td>{formatDate(v.createdAt)}</td>
                <td>
                  {v.service} · {v.country} · {v.capability}
                </td>
                <td className="mono">{v.phoneNumber ?? '—'}</td>
                <td>
                  <StatusBadge status={v.status} />
                  {v.failureCode ? <span className="muted small"> {v.failureCode}</span> : null}
                </td>
                <td className="num">{formatMoney(v.price)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </PagedSection>
  );
}

export function Topups({ id }: { id: string }) {
  const paged = usePaged<TopupRow>([...userKey(id), 'topups'], `/api/v1/admin/users/${id}/topups`);
  return (
    <PagedSection id="topups" title="Top-ups" empty="No top-ups yet" paged={paged}>
      {(rows) => (
        <table className="table admin-topups-table">
          <caption className="visually-hidden">Top-ups</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Reference</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Credited
              </th>
              <th scope="col" className="num">
                Charged
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => (
              <tr key={t.reference}>
                <td>{formatDate(t.createdAt)}</td>
                <td className="mono">{t.reference}</td>
                <td>
                  <StatusBadge status={t.status} />
                </td>
                <td className="num">{formatMoney(t.amount)}</td>
                <td className="num">{formatMoney(t.charge)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </PagedSection>
  );
}

/** What the audit log says about this user: suspensions, adjustments, sign-ins, flags. */
export function Activity({ id }: { id: string }) {
  const paged = usePaged<AuditEntry>([...userKey(id), 'activity'], '/api/v1/admin/audit-log', {
    subjectId: id,
  });
  return (
    <PagedSection id="activity" title="Audit entries about this user" empty="Nothing recorded" paged={paged}>
      {(rows) => (
        <table className="table admin-activity-table">
          <caption className="visually-hidden">Audit entries about this user</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((entry) => (
              <tr key={entry.id} data-action={entry.action}>
                <td>{formatDate(entry.at)}</td>
                <td className="mono">{entry.action}</td>
                <td className="wrap">
                  <AuditDetails details={entry.details} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </PagedSection>
  );
}
