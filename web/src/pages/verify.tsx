import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  ApiError,
  type Money,
  type Verification,
  type VerificationMessage,
  api,
  newIdempotencyKey,
} from '../api';
import { useServiceName, useServices } from '../catalog';
import { AREA_CODE, type NumberOptions, PurchaseOptions } from '../components/purchase-options';
import { CopyButton, ErrorNote, Notice, PageHeader, Spinner, StatusBadge } from '../components/ui';
import { type Delivery, describeDelivery, shortDelivery } from '../delivery';
import { formatDate, formatMoney } from '../money';
import { useMyTier } from '../tiers';

interface Country {
  code: string;
  name: string;
  available: boolean;
}
interface Quote {
  price: Money;
  tier: string;
  delivery: Delivery;
}

const OPEN = new Set(['pending', 'active']);

export default function Verify() {
  const [params, setParams] = useSearchParams();
  const id = params.get('id');
  return (
    <>
      <PageHeader
        title="New verification"
        description="Pick a service, get a number, and watch for the code."
      />
      {id ? (
        <VerificationPanel id={id} onDone={() => setParams({})} onRenewed={(v) => setParams({ id: v.id })} />
      ) : (
        <PurchaseForm onBought={(v) => setParams({ id: v.id })} />
      )}
    </>
  );
}

function PurchaseForm({ onBought }: { onBought: (v: Verification) => void }) {
  const queryClient = useQueryClient();
  const [country, setCountry] = useState('US');
  const [search, setSearch] = useState('');
  const [service, setService] = useState('');
  const [capability, setCapability] = useState<'sms' | 'voice'>('sms');
  const [options, setOptions] = useState<NumberOptions>({ areaCode: '', carrier: '' });
  const tier = useMyTier();
  // What is quoted is what is bought: a partial area code is no choice yet.
  const areaCode = AREA_CODE.test(options.areaCode) ? options.areaCode : '';
  const carrier = options.carrier;
  const countries = useQuery({
    queryKey: ['countries'],
    queryFn: () => api<{ data: Country[] }>('GET', '/api/v1/catalog/countries'),
    staleTime: 300_000,
  });
  const services = useServices(country);
  const filtered = useMemo(() => {
    const q = search.trim().toLowerCase();
    const all = services.data?.data ?? [];
    return q ? all.filter((s) => s.displayName.toLowerCase().includes(q) || s.name.includes(q)) : all;
  }, [services.data, search]);
  const selected = services.data?.data.find((s) => s.name === service);
  useEffect(() => {
    if (selected && !selected.capabilities.includes(capability)) setCapability('sms');
  }, [selected, capability]);
  const quote = useQuery({
    queryKey: ['quote', service, country, capability, areaCode, carrier],
    queryFn: () => {
      const query = new URLSearchParams({ service, country, capability });
      if (areaCode) query.set('areaCode', areaCode);
      if (carrier) query.set('carrier', carrier);
      return api<Quote>('GET', `/api/v1/catalog/quote?${query}`);
    },
    enabled: Boolean(service),
  });
  const idempotencyKey = useRef(newIdempotencyKey());
  const purchase = useMutation({
    mutationFn: () =>
      api<Verification>(
        'POST',
        '/api/v1/verifications',
        {
          service,
          country,
          capability,
          ...(areaCode ? { areaCodes: [areaCode] } : {}),
          ...(carrier ? { carrier } : {}),
          ...(quote.data ? { maxPrice: quote.data.price.amount } : {}),
        },
        { idempotencyKey: idempotencyKey.current },
      ),
    onSuccess: (view) => {
      idempotencyKey.current = newIdempotencyKey();
      queryClient.setQueryData(['verification', view.id], view);
      void queryClient.invalidateQueries({ queryKey: ['wallet'] });
      void queryClient.invalidateQueries({ queryKey: ['verifications'] });
      onBought(view);
    },
    onError: () => {
      idempotencyKey.current = newIdempotencyKey();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (service) purchase.mutate();
  };
  const error = purchase.error;

  return (
    <form className="card form purchase-form" onSubmit={submit} noValidate>
      <div className="form-row">
        <div className="field">
          <label htmlFor="service-search">Search services</label>
          <input
            id="service-search"
            className="input"
            type="search"
            placeholder="WhatsApp, Telegram, Google…"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            aria-controls="service-select"
          />
        </div>
        <div className="field">
          <label htmlFor="service-select">Service</label>
          <select
            id="service-select"
            className="input"
            value={service}
            onChange={(e) => setService(e.target.value)}
            required
            aria-busy={services.isPending}
          >
            <option value="">{services.isPending ? 'Loading services…' : 'Choose a service'}</option>
            {filtered.map((s) => (
              <option key={s.name} value={s.name} disabled={s.available === false}>
                {s.displayName}
                {s.price ? ` — ${formatMoney(s.price)}` : ''}
                {shortDelivery(s.delivery) ? ` · ${shortDelivery(s.delivery)}` : ''}
                {s.available === false ? ' (out of stock)' : ''}
              </option>
            ))}
            {selected && !filtered.includes(selected) ? (
              <option value={selected.name}>{selected.displayName}</option>
            ) : null}
          </select>
        </div>
      </div>
      {services.isError ? <ErrorNote message={services.error.message} /> : null}
      <div className="form-row">
        <div className="field">
          <label htmlFor="country-select">Country</label>
          <select
            id="country-select"
            className="input"
            value={country}
            onChange={(e) => setCountry(e.target.value)}
          >
            {(countries.data?.data ?? [{ code: 'US', name: 'United States', available: true }]).map((c) => (
              <option key={c.code} value={c.code} disabled={!c.available}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="field">
          <legend>Receive by</legend>
          <div className="segmented">
            {(['sms', 'voice'] as const).map((value) => (
              <label key={value} className="segmented-option">
                <input
                  type="radio"
                  name="capability"
                  value={value}
                  checked={capability === value}
                  disabled={
                    (selected ? !selected.capabilities.includes(value) : value === 'voice') ||
                    (value === 'voice' && !tier?.gates.voice)
                  }
                  onChange={() => setCapability(value)}
                />
                <span>{value === 'sms' ? 'SMS' : 'Voice call'}</span>
              </label>
            ))}
          </div>
          {tier && !tier.gates.voice ? (
            <p className="field-hint">
              Voice calls are not on your plan. <Link to="/plans">Upgrade</Link>
            </p>
          ) : null}
        </fieldset>
      </div>
      <PurchaseOptions tier={tier} value={options} onChange={setOptions} />
      <div className="quote-row">
        <div>
          <span className="muted">Price</span>
          <div className="quote-price" id="quote-price" aria-live="polite">
            {!service ? '—' : quote.isPending ? '…' : quote.data ? formatMoney(quote.data.price) : '—'}
          </div>
          {quote.isError ? <ErrorNote message={quote.error.message} /> : null}
          {quote.data ? <DeliveryFigures delivery={quote.data.delivery} /> : null}
          <p className="muted small">
            You are charged only if a code arrives. Cancel any time before it does.
          </p>
        </div>
        <button
          id="purchase-btn"
          type="submit"
          className="button button-primary button-large"
          disabled={!service || purchase.isPending}
        >
          {purchase.isPending ? 'Getting a number…' : 'Buy number'}
        </button>
      </div>
      {error ? (
        <div className="purchase-error">
          <ErrorNote message={error.message} />
          {error instanceof ApiError && error.code === 'insufficient_funds' ? (
            <Link to="/wallet">Top up your wallet</Link>
          ) : null}
          {error instanceof ApiError && error.code === 'email_not_confirmed' ? (
            <Link to="/confirm-email">Resend the confirmation e-mail</Link>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}

/** How often and how fast codes arrived for this service and country, from recent orders. */
function DeliveryFigures({ delivery }: { delivery: Delivery }) {
  if (!delivery.last7d) {
    return (
      <p className="muted small" id="delivery-figures">
        Too few recent orders to show a delivery rate yet.
      </p>
    );
  }
  return (
    <p className="delivery-figures small" id="delivery-figures">
      <span>{describeDelivery(delivery.last7d, 'last7d')}</span>
      {delivery.last24h ? (
        <span className="muted"> · {describeDelivery(delivery.last24h, 'last24h')}</span>
      ) : null}
    </p>
  );
}

function useNow(active: boolean) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

function countdown(expiresAt: string | null, now: number): string {
  if (!expiresAt) return '—';
  const left = Math.max(0, Math.floor((Date.parse(expiresAt) - now) / 1000));
  const minutes = Math.floor(left / 60);
  const seconds = left % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** Live updates over Server-Sent Events (the session cookie goes along); polling is the safety net. */
function useLiveVerification(id: string) {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: ['verification', id],
    queryFn: () => api<Verification>('GET', `/api/v1/verifications/${id}`),
    refetchInterval: (q) => (q.state.data && OPEN.has(q.state.data.status) ? 10_000 : false),
  });
  const [live, setLive] = useState(false);
  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let failures = 0;
    const open = () => {
      source = new EventSource(`/api/v1/verifications/${id}/events`);
      source.addEventListener('open', () => {
        failures = 0;
        setLive(true);
      });
      source.addEventListener('status', (event) => {
        const view = JSON.parse((event as MessageEvent<string>).data) as Verification;
        const before = queryClient.getQueryData<Verification>(['verification', id]);
        queryClient.setQueryData<Verification>(['verification', id], (old) => ({
          ...old,
          ...view,
          messages: old?.messages ?? [],
        }));
        if (!OPEN.has(view.status)) {
          void queryClient.invalidateQueries({ queryKey: ['wallet'] });
          void queryClient.invalidateQueries({ queryKey: ['verifications'] });
          // The stream carries no renewal offer; the order's own view does.
          if (view.status === 'completed' && before?.status !== 'completed')
            void queryClient.invalidateQueries({ queryKey: ['verification', id] });
        }
      });
      source.addEventListener('message', (event) => {
        const message = JSON.parse((event as MessageEvent<string>).data) as VerificationMessage;
        queryClient.setQueryData<Verification>(['verification', id], (old) =>
          old
            ? { ...old, messages: [...(old.messages ?? []).filter((m) => m.id !== message.id), message] }
            : old,
        );
      });
      source.addEventListener('error', () => {
        setLive(false);
        // Five refusals in a row (access revoked, not merely expired): polling carries on alone.
        if (source?.readyState === EventSource.CLOSED && !stopped && ++failures <= 5) {
          // Refused (an expired access token): a normal request refreshes the session, then reconnect.
          source.close();
          retry = setTimeout(() => {
            void queryClient.refetchQueries({ queryKey: ['verification', id] }).finally(() => {
              if (!stopped) open();
            });
          }, 3000);
        }
      });
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [id, queryClient]);
  return { query, live };
}

function VerificationPanel({
  id,
  onDone,
  onRenewed,
}: {
  id: string;
  onDone: () => void;
  onRenewed: (v: Verification) => void;
}) {
  const queryClient = useQueryClient();
  const { query, live } = useLiveVerification(id);
  const serviceName = useServiceName();
  const v = query.data;
  const open = v ? OPEN.has(v.status) : false;
  const now = useNow(open);
  const action = useMutation({
    mutationFn: (kind: 'cancel' | 'report') =>
      api<Verification>(
        'POST',
        `/api/v1/verifications/${id}/${kind}`,
        {},
        { idempotencyKey: newIdempotencyKey() },
      ),
    onSuccess: (view) => {
      queryClient.setQueryData<Verification>(['verification', id], (old) => ({
        ...old,
        ...view,
        messages: old?.messages ?? [],
      }));
      void queryClient.invalidateQueries({ queryKey: ['wallet'] });
      void queryClient.invalidateQueries({ queryKey: ['verifications'] });
    },
  });
  if (query.isPending) return <Spinner />;
  // A failed refresh keeps the order on screen (the stream and the next poll bring it up to date).
  if (query.isError && !v) return <ErrorNote message={query.error.message} />;
  if (!v) return null;
  const code = v.code ?? v.messages?.find((m) => m.code)?.code ?? null;
  const refunded = ['canceled', 'expired', 'failed'].includes(v.status);

  return (
    <section className="card verification" aria-labelledby="verification-title">
      <div className="card-header">
        <h2 id="verification-title">
          {serviceName(v.service)} <span className="muted">· {v.country}</span>
        </h2>
        <div className="verification-status">
          <StatusBadge status={v.status} />
          {open ? (
            <span className={`live-dot${live ? ' live-on' : ''}`}>{live ? 'Live' : 'Connecting…'}</span>
          ) : null}
        </div>
      </div>
      <div className="number-row">
        <div>
          <span className="muted small">Your number</span>
          <div className="phone-number mono" id="phone-number">
            {v.phoneNumber ?? 'Assigning…'}
          </div>
        </div>
        {v.phoneNumber ? <CopyButton value={v.phoneNumber} label="Copy number" id="copy-number" /> : null}
      </div>
      <dl className="facts">
        <div>
          <dt>Price</dt>
          <dd>{formatMoney(v.price)}</dd>
        </div>
        {open ? (
          <div>
            <dt>Time left</dt>
            <dd id="countdown" className="mono" aria-live="off">
              {countdown(v.expiresAt, now)}
            </dd>
          </div>
        ) : (
          <div>
            <dt>{v.completedAt ? 'Completed' : 'Ended'}</dt>
            <dd>{formatDate(v.completedAt ?? v.updatedAt)}</dd>
          </div>
        )}
        <div>
          <dt>Bought</dt>
          <dd>{formatDate(v.createdAt)}</dd>
        </div>
      </dl>
      <div className="code-box" aria-live="polite">
        {code ? (
          <>
            <span className="muted small">Verification code</span>
            <div className="code mono" id="verification-code">
              {code}
            </div>
            <CopyButton value={code} label="Copy code" id="copy-code" />
          </>
        ) : open ? (
          <p className="waiting">
            <span className="spinner" aria-hidden="true" /> Waiting for the SMS… enter the number in{' '}
            {serviceName(v.service)} and the code shows up here.
          </p>
        ) : (
          <p className="muted">No code arrived.</p>
        )}
      </div>
      {refunded ? (
        <Notice tone="info">
          This verification is {v.status}
          {v.failureCode ? ` (${v.failureCode})` : ''}; the {formatMoney(v.price)} hold went back to your
          wallet.
        </Notice>
      ) : null}
      {v.messages && v.messages.length > 0 ? (
        <div className="messages">
          <h3>Messages</h3>
          <ul className="list">
            {v.messages.map((m) => (
              <li key={m.id} className="list-row message">
                <div>
                  <div>{m.text}</div>
                  <div className="muted small">
                    {m.from ? `From ${m.from} · ` : ''}
                    {formatDate(m.receivedAt)}
                    {m.afterExpiry ? ' · after the window (free)' : ''}
                  </div>
                </div>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {v.reusedFrom ? (
        <p className="muted small">
          The same number again ({v.renewal === 'reactivate' ? 'reactivated' : 'reused'}) —{' '}
          <Link to={`/verify?id=${v.reusedFrom}`}>the earlier order</Link>.
        </p>
      ) : null}
      {v.status === 'completed' ? <RenewNumber order={v} onRenewed={onRenewed} /> : null}
      <ErrorNote message={action.error?.message} />
      <div className="actions">
        {open && !code ? (
          <>
            <button
              id="cancel-btn"
              type="button"
              className="button button-secondary"
              disabled={action.isPending}
              onClick={() => action.mutate('cancel')}
            >
              Cancel and refund
            </button>
            <button
              id="report-btn"
              type="button"
              className="button button-ghost"
              disabled={action.isPending}
              onClick={() => action.mutate('report')}
            >
              Report number
            </button>
          </>
        ) : null}
        <button type="button" className="button button-primary" onClick={onDone}>
          Buy another number
        </button>
      </div>
    </section>
  );
}

/**
 * Buying a completed order's number again, when the provider offers it: reuse while its window
 * lasts, then reactivation. A new order at the quote of the same service (no area-code or carrier
 * option), charged like any purchase.
 */
function RenewNumber({ order, onRenewed }: { order: Verification; onRenewed: (v: Verification) => void }) {
  const queryClient = useQueryClient();
  const offer = order.renewable;
  const until = offer?.reusableUntil ?? null;
  const now = useNow(until !== null);
  const kind =
    until !== null && Date.parse(until) > now ? 'reuse' : offer?.canReactivate ? 'reactivate' : null;
  const quote = useQuery({
    queryKey: ['quote', order.service, order.country, order.capability, '', ''],
    queryFn: () => {
      const query = new URLSearchParams({
        service: order.service,
        country: order.country,
        capability: order.capability,
      });
      return api<Quote>('GET', `/api/v1/catalog/quote?${query}`);
    },
    enabled: kind !== null,
  });
  const idempotencyKey = useRef(newIdempotencyKey());
  const renew = useMutation({
    mutationFn: (action: 'reuse' | 'reactivate') =>
      api<Verification>(
        'POST',
        `/api/v1/verifications/${order.id}/${action}`,
        quote.data ? { maxPrice: quote.data.price.amount } : {},
        { idempotencyKey: idempotencyKey.current },
      ),
    onSuccess: (view) => {
      idempotencyKey.current = newIdempotencyKey();
      queryClient.setQueryData(['verification', view.id], view);
      void queryClient.invalidateQueries({ queryKey: ['verification', order.id] });
      void queryClient.invalidateQueries({ queryKey: ['wallet'] });
      void queryClient.invalidateQueries({ queryKey: ['verifications'] });
      onRenewed(view);
    },
    onError: () => {
      idempotencyKey.current = newIdempotencyKey();
    },
  });
  if (!kind) return null;
  const price = quote.data ? formatMoney(quote.data.price) : '…';
  return (
    <div className="renew-number">
      <p className="muted small">
        {kind === 'reuse'
          ? `You can use ${order.phoneNumber ?? 'this number'} again for ${countdown(until, now)}.`
          : `The provider can reactivate ${order.phoneNumber ?? 'this number'} for you.`}{' '}
        Price {price}, charged only if a code arrives.
      </p>
      <ErrorNote message={renew.error?.message} />
      <button
        id={kind === 'reuse' ? 'reuse-btn' : 'reactivate-btn'}
        type="button"
        className="button button-secondary"
        disabled={renew.isPending || quote.isPending}
        onClick={() => renew.mutate(kind)}
      >
        {renew.isPending
          ? 'Getting the number again…'
          : kind === 'reuse'
            ? 'Use this number again'
            : 'Reactivate this number'}
      </button>
    </div>
  );
}
