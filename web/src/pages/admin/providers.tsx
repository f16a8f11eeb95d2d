import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../../api';
import { formError } from '../../components/field';
import { ErrorNote, Notice, PageHeader, Spinner } from '../../components/ui';
import { formatMoney } from '../../money';
import { AdminError, YesNo } from './common';
import { DeliveryByProviderCard } from './delivery';
import type { ProviderName, Providers, Routing, RoutingRule, SmsProviderHealth } from './types';
import { Reason } from './user-actions';

const CIRCUIT: Record<string, string> = {
  closed: 'Closed (calls go through)',
  open: 'Open (failing: calls fail fast)',
  half_open: 'Half open (trying again)',
  isolated: 'Isolated (turned off by hand)',
};

const PROVIDER_NAMES: Record<ProviderName, string> = { textverified: 'TextVerified', fivesim: '5sim' };

/** One SMS provider's health, balance and circuit breaker. */
function SmsProviderCard(props: { id: ProviderName; health: SmsProviderHealth; unset: string }) {
  const { id, health } = props;
  const title = PROVIDER_NAMES[id];
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {health.configured ? (
        <>
          <div
            className={`notice ${health.healthy ? 'notice-success' : 'notice-danger'}`}
            role="status"
            id={`${id}-health`}
          >
            {health.healthy ? 'Healthy' : `Unhealthy${health.error ? `: ${health.error}` : ''}`}
          </div>
          <dl className="facts admin-facts-2">
            <div>
              <dt>Account balance</dt>
              <dd id={`${id}-balance`}>{health.balance ? formatMoney(health.balance) : '—'}</dd>
            </div>
            <div>
              <dt>Circuit breaker</dt>
              <dd>{health.circuit ? (CIRCUIT[health.circuit] ?? health.circuit) : '—'}</dd>
            </div>
          </dl>
        </>
      ) : (
        <p className="muted">{props.unset}</p>
      )}
    </section>
  );
}

/** What a rule does, in words. */
function describeRule(rule: RoutingRule): string {
  if (rule.pinned) return `Only ${PROVIDER_NAMES[rule.pinned]} (no failover)`;
  return `Never ${rule.disabled.map((p) => PROVIDER_NAMES[p]).join(' or ')}`;
}

/** The choices of the routing form, each a rule without its service. */
const CHOICES: { value: string; label: string; rule: Omit<RoutingRule, 'service'> }[] = [
  {
    value: 'auto',
    label: 'Every provider (cheapest available first, failover)',
    rule: { pinned: null, disabled: [] },
  },
  { value: 'pin-textverified', label: 'Only TextVerified', rule: { pinned: 'textverified', disabled: [] } },
  { value: 'pin-fivesim', label: 'Only 5sim', rule: { pinned: 'fivesim', disabled: [] } },
  {
    value: 'off-textverified',
    label: 'Never TextVerified',
    rule: { pinned: null, disabled: ['textverified'] },
  },
  { value: 'off-fivesim', label: 'Never 5sim', rule: { pinned: null, disabled: ['fivesim'] } },
];

/** Admins' per-service routing rules and the form that sets one (audited). */
function RoutingCard() {
  const queryClient = useQueryClient();
  const routing = useQuery({
    queryKey: ['admin', 'routing'],
    queryFn: () => api<Routing>('GET', '/api/v1/admin/providers/routing'),
  });
  const [service, setService] = useState('');
  const [choice, setChoice] = useState('auto');
  const [reason, setReason] = useState('');
  const save = useMutation({
    mutationFn: () => {
      const rule = CHOICES.find((c) => c.value === choice)?.rule ?? CHOICES[0]!.rule;
      return api<RoutingRule>(
        'PUT',
        `/api/v1/admin/providers/routing/${encodeURIComponent(service.trim())}`,
        {
          ...rule,
          ...(reason.trim() ? { reason: reason.trim() } : {}),
        },
      );
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['admin', 'routing'] });
      setReason('');
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (service.trim()) save.mutate();
  };
  const rules = routing.data?.rules ?? [];
  return (
    <section className="card" aria-labelledby="routing-title">
      <h2 id="routing-title">Routing</h2>
      <p className="muted small">
        Without a rule a service is bought from the cheapest provider that has numbers; when it refuses, the
        next one sells within the same purchase, never above the quote.
      </p>
      <AdminError error={routing.error} />
      {routing.data ? (
        rules.length === 0 ? (
          <p className="muted" id="routing-rules-empty">
            No rules: every service is routed among all configured providers.
          </p>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="routing-title">
            <table className="table" id="routing-rules">
              <caption className="visually-hidden">Routing rules</caption>
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Rule</th>
                </tr>
              </thead>
              <tbody>
                {rules.map((rule) => (
                  <tr key={rule.service}>
                    <td>{rule.service}</td>
                    <td>{describeRule(rule)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <form onSubmit={submit} noValidate aria-label="Set a routing rule">
        <div className="field">
          <label htmlFor="routing-service">Service</label>
          <input
            id="routing-service"
            className="input"
            value={service}
            onChange={(e) => {
              setService(e.target.value);
              save.reset();
            }}
          />
        </div>
        <div className="field">
          <label htmlFor="routing-choice">Sold by</label>
          <select
            id="routing-choice"
            className="input"
            value={choice}
            onChange={(e) => {
              setChoice(e.target.value);
              save.reset();
            }}
          >
            {CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <Reason id="routing-reason" label="Reason" optional value={reason} onChange={setReason} />
        <ErrorNote message={formError(save.error, [])} />
        {save.isSuccess ? <Notice tone="success">Routing saved.</Notice> : null}
        <button
          type="submit"
          className="button button-primary"
          id="routing-save"
          disabled={save.isPending || !service.trim()}
        >
          {save.isPending ? 'Saving…' : 'Save rule'}
        </button>
      </form>
    </section>
  );
}

/** The SMS providers' balance, health and circuit breaker; routing rules; whether Paystack is configured. */
export function ProvidersPage() {
  const providers = useQuery({
    queryKey: ['admin', 'providers'],
    queryFn: () => api<Providers>('GET', '/api/v1/admin/providers'),
  });
  const data = providers.data;
  return (
    <>
      <PageHeader
        title="Providers"
        description="The upstream services Namaskah buys numbers from and takes payments with."
        actions={
          <button
            type="button"
            className="button button-secondary"
            disabled={providers.isFetching}
            onClick={() => void providers.refetch()}
          >
            {providers.isFetching ? 'Refreshing…' : 'Refresh'}
          </button>
        }
      />
      {providers.isPending ? <Spinner /> : null}
      <AdminError error={providers.error} />
      {data ? (
        <div className="admin-provider-grid">
          <SmsProviderCard
            id="textverified"
            health={data.textVerified}
            unset="Not configured: no TextVerified credentials are set."
          />
          <SmsProviderCard
            id="fivesim"
            health={data.fiveSim}
            unset="Not configured: set FIVESIM_API_KEY to add 5sim as a second provider."
          />
          <section className="card" aria-labelledby="paystack-title">
            <h2 id="paystack-title">Paystack</h2>
            <dl className="facts admin-facts-2">
              <div>
                <dt>Configured</dt>
                <dd>
                  <YesNo value={data.paystack.configured} />
                </dd>
              </div>
            </dl>
          </section>
          <RoutingCard />
        </div>
      ) : null}
      <DeliveryByProviderCard />
    </>
  );
}
