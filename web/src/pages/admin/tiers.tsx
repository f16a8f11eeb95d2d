import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../../api';
import { formError } from '../../components/field';
import { ErrorNote, Notice, PageHeader, Spinner } from '../../components/ui';
import { formatDate, formatMoney } from '../../money';
import { AdminError, formatBps, parseFixed } from './common';
import type { Tier } from './types';
import { Reason } from './user-actions';

type MoneyField = 'monthlyPrice' | 'includedUsage' | 'areaCodeSurcharge' | 'carrierSurcharge';
type CountField = 'signupCredits' | 'maxActiveOrders' | 'purchaseRatePerMinute';
type FlagField = 'areaCodeAllowed' | 'carrierAllowed' | 'voiceAllowed' | 'webhooksAllowed';

const MONEY: [MoneyField, string][] = [
  ['monthlyPrice', 'Monthly price (USD)'],
  ['includedUsage', 'Included usage per month (USD)'],
  ['areaCodeSurcharge', 'Area code surcharge (USD)'],
  ['carrierSurcharge', 'Carrier surcharge (USD)'],
];
const COUNTS: [CountField, string][] = [
  ['signupCredits', 'Free verifications at sign-up'],
  ['maxActiveOrders', 'Active orders at once'],
  ['purchaseRatePerMinute', 'Purchases per minute'],
];
const FLAGS: [FlagField, string][] = [
  ['areaCodeAllowed', 'Area code choice'],
  ['carrierAllowed', 'Carrier choice'],
  ['voiceAllowed', 'Voice numbers'],
  ['webhooksAllowed', 'Webhooks'],
];

type Draft = Record<MoneyField | CountField | 'displayName' | 'multiplier' | 'apiKeyLimit', string> &
  Record<FlagField, boolean>;

function draftOf(tier: Tier): Draft {
  return {
    displayName: tier.displayName,
    multiplier: (tier.priceMultiplierBps / 10_000).toFixed(2),
    apiKeyLimit: tier.apiKeyLimit === null ? '' : String(tier.apiKeyLimit),
    ...(Object.fromEntries(MONEY.map(([f]) => [f, (tier[f].amount / 100).toFixed(2)])) as Record<
      MoneyField,
      string
    >),
    ...(Object.fromEntries(COUNTS.map(([f]) => [f, String(tier[f])])) as Record<CountField, string>),
    ...(Object.fromEntries(FLAGS.map(([f]) => [f, tier[f]])) as Record<FlagField, boolean>),
  };
}

const isInt = (text: string) => /^\d{1,6}$/.test(text.trim());

/** The fields that differ from the tier, in the API's shape; a string when the draft is invalid. */
function patchOf(tier: Tier, draft: Draft): Record<string, unknown> | string {
  const patch: Record<string, unknown> = {};
  if (!draft.displayName.trim()) return 'The name cannot be empty.';
  if (draft.displayName.trim() !== tier.displayName) patch.displayName = draft.displayName.trim();
  const bps = parseFixed(draft.multiplier, 2, 4);
  if (bps === null) return 'The multiplier is a number like 0.85.';
  if (bps !== tier.priceMultiplierBps) patch.priceMultiplierBps = bps;
  for (const [field, label] of MONEY) {
    const cents = parseFixed(draft[field], 7, 2);
    if (cents === null) return `${label}: enter an amount like 25.00.`;
    if (cents !== tier[field].amount) patch[field] = { amount: cents, currency: 'USD' };
  }
  for (const [field, label] of COUNTS) {
    if (!isInt(draft[field])) return `${label}: enter a whole number.`;
    if (Number(draft[field]) !== tier[field]) patch[field] = Number(draft[field]);
  }
  for (const [field] of FLAGS) if (draft[field] !== tier[field]) patch[field] = draft[field];
  if (draft.apiKeyLimit.trim() && !isInt(draft.apiKeyLimit)) return 'API keys: a whole number, or empty.';
  const limit = draft.apiKeyLimit.trim() ? Number(draft.apiKeyLimit) : null;
  if (limit !== tier.apiKeyLimit) patch.apiKeyLimit = limit;
  return patch;
}

function TierForm({ tier }: { tier: Tier }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(() => draftOf(tier));
  const [reason, setReason] = useState('');
  const patch = patchOf(tier, draft);
  const changes = typeof patch === 'string' ? 0 : Object.keys(patch).length;
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      api<Tier>('PATCH', `/api/v1/admin/tiers/${encodeURIComponent(tier.name)}`, {
        ...body,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      }),
    onSuccess: (saved) => {
      queryClient.setQueryData<{ data: Tier[] }>(['admin', 'tiers'], (old) =>
        old ? { data: old.data.map((t) => (t.name === saved.name ? saved : t)) } : old,
      );
      void queryClient.invalidateQueries({ queryKey: ['tiers'] });
      setDraft(draftOf(saved));
      setReason('');
    },
  });
  const set = <K extends keyof Draft>(field: K, value: Draft[K]) => {
    setDraft({ ...draft, [field]: value });
    save.reset();
  };
  const id = (field: string) => `tier-${tier.name}-${field}`;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (typeof patch !== 'string' && changes > 0) save.mutate(patch);
  };
  const text = (
    field: 'displayName' | 'multiplier' | 'apiKeyLimit' | MoneyField | CountField,
    label: string,
    hint?: string,
  ) => (
    <div className="field" key={field}>
      <label htmlFor={id(field)}>{label}</label>
      <input
        id={id(field)}
        className="input"
        inputMode={field === 'displayName' ? undefined : 'decimal'}
        value={draft[field]}
        aria-describedby={hint ? `${id(field)}-hint` : undefined}
        onChange={(e) => set(field, e.target.value)}
      />
      {hint ? (
        <p className="field-hint" id={`${id(field)}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );

  return (
    <form className="form tier-form" onSubmit={submit} noValidate data-tier={tier.name}>
      <div className="admin-form-grid">
        {text('displayName', 'Name')}
        {text('multiplier', 'Price multiplier', '1.00 is the list price; 0.85 is 15 % off.')}
        {MONEY.map(([field, label]) => text(field, label))}
        {COUNTS.map(([field, label]) => text(field, label))}
        {text('apiKeyLimit', 'API keys', 'Empty means unlimited; 0 means none.')}
      </div>
      <fieldset className="field">
        <legend>Included features</legend>
        <div className="checkbox-grid">
          {FLAGS.map(([field, label]) => (
            <label key={field} className="checkbox" htmlFor={id(field)}>
              <input
                id={id(field)}
                type="checkbox"
                checked={draft[field]}
                onChange={(e) => set(field, e.target.checked)}
              />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
      <Reason id={id('reason')} label="Reason" optional value={reason} onChange={setReason} />
      {typeof patch === 'string' ? <ErrorNote message={patch} /> : null}
      <ErrorNote message={formError(save.error, [])} />
      {save.isSuccess ? <Notice tone="success">Saved. New prices apply to the next quote.</Notice> : null}
      <button
        type="submit"
        className="button button-primary tier-save"
        disabled={save.isPending || typeof patch === 'string' || changes === 0}
      >
        {save.isPending
          ? 'Saving…'
          : changes === 0
            ? 'No changes'
            : `Save ${changes} change${changes === 1 ? '' : 's'}`}
      </button>
    </form>
  );
}

/** The tiers table of SPEC §6, one editable card per tier. */
export function TiersPage() {
  const tiers = useQuery({
    queryKey: ['admin', 'tiers'],
    queryFn: () => api<{ data: Tier[] }>('GET', '/api/v1/admin/tiers'),
    refetchOnWindowFocus: false,
  });
  return (
    <>
      <PageHeader
        title="Tiers"
        description="Prices, included usage and limits of each plan. Every change is audited."
      />
      {tiers.isPending ? <Spinner /> : null}
      <AdminError error={tiers.error} />
      {tiers.data?.data.map((tier) => (
        <details key={tier.name} className="card admin-tier" id={`tier-${tier.name}`}>
          <summary>
            <span className="admin-tier-name">{tier.displayName}</span>{' '}
            <span className="muted small">
              {tier.name} · {formatMoney(tier.monthlyPrice)}/month · {formatBps(tier.priceMultiplierBps)} ·
              updated {formatDate(tier.updatedAt)}
            </span>
          </summary>
          <TierForm tier={tier} />
        </details>
      ))}
    </>
  );
}
