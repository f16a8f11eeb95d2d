import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { PageHeader } from '../../components/ui';
import { formatDate } from '../../money';
import { PagedSection, usePaged } from './paged';
import type { AuditEntry } from './types';

/** Actions the product records (a suggestion list: the filter takes any action name). */
const KNOWN_ACTIONS = [
  'admin.balance_adjusted',
  'admin.markups_replaced',
  'admin.tier_updated',
  'user.suspended',
  'user.unsuspended',
  'user.role_changed',
  'user.registered',
  'user.email_confirmed',
  'login.succeeded',
  'login.failed',
  'login.lockout',
  'login.client_flagged',
  'login.captcha_required',
  'mfa.enabled',
  'mfa.disabled',
  'password.changed',
  'password.reset',
  'session.revoked',
  'session.refresh_reuse',
  'api_key.created',
  'api_key.revoked',
];
const FILTERS = ['action', 'actorId', 'subjectId', 'before'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

function display(value: unknown): string {
  if (typeof value === 'string') return value;
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** An entry's details as `key: value` lines (nested values as compact JSON). */
export function AuditDetails({ details }: { details: Record<string, unknown> }) {
  const entries = Object.entries(details);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <dl className="audit-details">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{display(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** `datetime-local` (the admin's local time) to the ISO instant the API takes. */
function toIso(local: string): string {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

function FilterForm({ current, onApply }: { current: Filters; onApply: (filters: Filters) => void }) {
  const [draft, setDraft] = useState(current);
  const set = (name: keyof Filters) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [name]: e.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  return (
    <form className="card admin-filters" onSubmit={submit} aria-label="Filter the audit log">
      <div className="field">
        <label htmlFor="audit-action">Action</label>
        <input
          id="audit-action"
          className="input"
          list="audit-actions"
          value={draft.action}
          onChange={set('action')}
        />
        <datalist id="audit-actions">
          {KNOWN_ACTIONS.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor="audit-actor">Actor id</label>
        <input id="audit-actor" className="input" value={draft.actorId} onChange={set('actorId')} />
      </div>
      <div className="field">
        <label htmlFor="audit-subject">Subject id</label>
        <input id="audit-subject" className="input" value={draft.subjectId} onChange={set('subjectId')} />
      </div>
      <div className="field">
        <label htmlFor="audit-before">Before</label>
        <input
          id="audit-before"
          className="input"
          type="datetime-local"
          value={draft.before}
          onChange={set('before')}
        />
      </div>
      <div className="inline-actions admin-filter-actions">
        <button type="submit" className="button button-primary" id="audit-filter-btn">
          Filter
        </button>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => {
            const empty = { action: '', actorId: '', subjectId: '', before: '' };
            setDraft(empty);
            onApply(empty);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function Subject({ entry }: { entry: AuditEntry }) {
  if (!entry.subjectId) return <span className="muted">—</span>;
  if (entry.subjectType === 'user')
    return <Link to={`/admin/users/${entry.subjectId}`}>user {entry.subjectId.slice(0, 8)}…</Link>;
  return (
    <span>
      {entry.subjectType ?? 'subject'} <span className="mono">{entry.subjectId}</span>
    </span>
  );
}

/** Every admin and security-relevant action, newest first, filtered through the URL. */
export function AuditLog() {
  const [params, setParams] = useSearchParams();
  const current = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Filters;
  const query: Record<string, string> = {};
  for (const name of FILTERS) {
    const value = current[name].trim();
    const sent = name === 'before' ? toIso(value) : value;
    if (sent) query[name] = sent;
  }
  const paged = usePaged<AuditEntry>(['admin', 'audit-log'], '/api/v1/admin/audit-log', query);
  const apply = (filters: Filters) =>
    setParams(Object.fromEntries(Object.entries(filters).filter(([, value]) => value.trim())));

  return (
    <>
      <PageHeader title="Audit log" description="Every administrative and security-relevant action." />
      <FilterForm key={params.toString()} current={current} onApply={apply} />
      <PagedSection id="audit" title="Entries" empty="No entry matches these filters" paged={paged}>
        {(rows) => (
          <table className="table audit-table">
            <caption className="visually-hidden">Audit log entries</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Subject</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((entry) => (
                <tr key={entry.id} data-action={entry.action}>
                  <td>{formatDate(entry.at)}</td>
                  <td className="mono">{entry.action}</td>
                  <td>
                    {entry.actorId ? (
                      <Link to={`/admin/users/${entry.actorId}`}>{entry.actorId.slice(0, 8)}…</Link>
                    ) : (
                      <span className="muted">system</span>
                    )}
                    {entry.ip ? <div className="muted small">{entry.ip}</div> : null}
                  </td>
                  <td>
                    <Subject entry={entry} />
                  </td>
                  <td className="wrap">
                    <AuditDetails details={entry.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedSection>
    </>
  );
}
