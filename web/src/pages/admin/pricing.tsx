import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../../api';
import { formError } from '../../components/field';
import { ErrorNote, Notice, PageHeader, Spinner } from '../../components/ui';
import { AdminError, bpsToPercent, formatBps, percentToBps } from './common';
import type { Markups } from './types';
import { Reason } from './user-actions';

interface Row {
  /** Identity while edited (a new row has no service yet). */
  key: number;
  service: string;
  percent: string;
}

let nextKey = 0;
const rowsOf = (markups: Markups): Row[] =>
  markups.overrides.map((o) => ({
    key: nextKey++,
    service: o.service,
    percent: String(bpsToPercent(o.markupBps)),
  }));

const MAX_PERCENT = 900;
const validPercent = (text: string) => {
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) && value >= 0 && value <= MAX_PERCENT;
};

function MarkupsForm({ markups }: { markups: Markups }) {
  const queryClient = useQueryClient();
  const [rows, setRows] = useState<Row[]>(() => rowsOf(markups));
  const [reason, setReason] = useState('');
  const services = useQuery({
    queryKey: ['admin', 'catalog-services'],
    queryFn: () => api<{ data: { name: string; displayName: string }[] }>('GET', '/api/v1/catalog/services'),
    staleTime: 60_000,
  });
  const save = useMutation({
    mutationFn: () =>
      api<Markups>('PUT', '/api/v1/admin/pricing/markups', {
        overrides: rows
          .filter((row) => row.service.trim())
          .map((row) => ({ service: row.service.trim(), markupBps: percentToBps(Number(row.percent)) })),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      }),
    onSuccess: (saved) => {
      queryClient.setQueryData(['admin', 'markups'], saved);
      setRows(rowsOf(saved));
      setReason('');
    },
  });
  const update = (index: number, patch: Partial<Row>) => {
    setRows(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
    save.reset();
  };
  const invalid = rows.some((row) => row.service.trim() && !validPercent(row.percent));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!invalid) save.mutate();
  };

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="overrides-title">
      <h2 id="overrides-title">Per-service markups</h2>
      <p className="muted small">
        A markup over the provider's cost, from 0 % to {MAX_PERCENT} %. Services without one use the default.
        Tier multipliers apply on top.
      </p>
      {rows.length === 0 ? <p className="muted">No overrides: every service uses the default.</p> : null}
      <ul className="admin-markup-rows">
        {rows.map((row, index) => (
          <li key={row.key} className="admin-markup-row">
            <div className="field">
              <label htmlFor={`markup-service-${index}`}>Service</label>
              <input
                id={`markup-service-${index}`}
                className="input"
                list="markup-services"
                value={row.service}
                onChange={(e) => update(index, { service: e.target.value })}
              />
            </div>
            <div className="field">
              <label htmlFor={`markup-percent-${index}`}>Markup (%)</label>
              <input
                id={`markup-percent-${index}`}
                className="input"
                inputMode="decimal"
                value={row.percent}
                aria-invalid={row.service.trim() && !validPercent(row.percent) ? true : undefined}
                onChange={(e) => update(index, { percent: e.target.value })}
              />
            </div>
            <button
              type="button"
              className="button button-secondary button-small admin-markup-remove"
              aria-label={`Remove the override${row.service ? ` of ${row.service}` : ''}`}
              onClick={() => {
                setRows(rows.filter((_, i) => i !== index));
                save.reset();
              }}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <datalist id="markup-services">
        {(services.data?.data ?? []).map((s) => (
          <option key={s.name} value={s.name}>
            {s.displayName}
          </option>
        ))}
      </datalist>
      <button
        type="button"
        className="button button-secondary button-small"
        id="markup-add"
        onClick={() =>
          setRows([
            ...rows,
            { key: nextKey++, service: '', percent: String(bpsToPercent(markups.defaultMarkupBps)) },
          ])
        }
      >
        Add an override
      </button>
      <Reason id="markup-reason" label="Reason" optional value={reason} onChange={setReason} />
      {invalid ? <ErrorNote message={`Each markup is a number from 0 to ${MAX_PERCENT}.`} /> : null}
      <ErrorNote message={formError(save.error, [])} />
      {save.isSuccess ? <Notice tone="success">Markups saved.</Notice> : null}
      <button
        type="submit"
        className="button button-primary"
        id="markup-save"
        disabled={save.isPending || invalid}
      >
        {save.isPending ? 'Saving…' : 'Save markups'}
      </button>
    </form>
  );
}

/** The default markup and the per-service overrides (a replace-all edit, audited). */
export function Pricing() {
  const markups = useQuery({
    queryKey: ['admin', 'markups'],
    queryFn: () => api<Markups>('GET', '/api/v1/admin/pricing/markups'),
    refetchOnWindowFocus: false,
  });
  return (
    <>
      <PageHeader title="Pricing" description="What Namaskah adds to the provider's price, per service." />
      {markups.isPending ? <Spinner /> : null}
      <AdminError error={markups.error} />
      {markups.data ? (
        <>
          <div className="card stat admin-default-markup">
            <span className="stat-label">Default markup</span>
            <span className="stat-value" id="default-markup">
              {bpsToPercent(markups.data.defaultMarkupBps)} % ({formatBps(markups.data.defaultMarkupBps)})
            </span>
            <span className="muted small">Set by CATALOG_MARKUP_BPS in the server's settings.</span>
          </div>
          <MarkupsForm markups={markups.data} />
        </>
      ) : null}
    </>
  );
}
