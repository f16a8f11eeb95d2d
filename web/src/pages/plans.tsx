import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Link } from 'react-router';
import { ApiError, type Money, api, newIdempotencyKey } from '../api';
import { TierSummary } from '../components/tier-summary';
import { ErrorNote, Notice, PageHeader, Spinner } from '../components/ui';
import { formatDate, formatMoney } from '../money';
import { useWallet } from '../session';
import { HIGHLIGHTED_TIER, type Tier, useTiers } from '../tiers';
import { useSingleFlight } from '../single-flight';

/** `GET/POST/DELETE /api/v1/subscription` (src/modules/subscriptions/views.ts). */
export interface Subscription {
  tier: string;
  status: 'none' | 'active' | 'past_due';
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
  scheduledTier: string | null;
  graceEndsAt: string | null;
  includedUsage: { remaining: Money; perPeriod: Money };
}

type Change = { tier: string } | { cancel: true };
type OfferKind = 'charge' | 'schedule' | 'cancel' | 'switch' | 'keep';
interface Offer {
  kind: OfferKind;
  label: string;
}

/**
 * What choosing `target` would do, in words; the same rules as the server's `planTierChange`, for
 * labels only: the server decides, and its answer (or refusal) is what the page then shows.
 */
function offerFor(target: Tier, current: Tier, sub: Subscription): Offer | null {
  const onPlan = sub.status !== 'none';
  if (target.name === current.name) {
    if (sub.status === 'past_due')
      return { kind: 'charge', label: `Pay ${formatMoney(target.monthlyPrice)} now` };
    if (sub.cancelAtPeriodEnd || sub.scheduledTier)
      return { kind: 'keep', label: `Keep ${target.displayName}` };
    return null;
  }
  if (target.name === 'freemium') return null;
  if (target.monthlyPrice.amount === 0)
    return onPlan
      ? { kind: 'cancel', label: `Switch to ${target.displayName} at period end` }
      : { kind: 'switch', label: `Switch to ${target.displayName}` };
  if (!onPlan || sub.status === 'past_due' || target.monthlyPrice.amount > current.monthlyPrice.amount)
    return { kind: 'charge', label: `Upgrade to ${target.displayName}` };
  return { kind: 'schedule', label: 'Switch at period end' };
}

/** The choice waiting for a second click: anything that charges, cancels or schedules. */
interface Pending {
  tier: Tier;
  kind: OfferKind;
}

export default function Plans() {
  const queryClient = useQueryClient();
  const tiers = useTiers();
  const wallet = useWallet();
  const subscription = useQuery({
    queryKey: ['subscription'],
    queryFn: () => api<Subscription>('GET', '/api/v1/subscription'),
  });
  const [confirming, setConfirming] = useState<Pending | null>(null);
  // One key per decision: a retry after a lost answer replays it instead of charging twice.
  const idempotencyKey = useRef(newIdempotencyKey());
  const change = useMutation({
    mutationFn: (input: Change) =>
      'cancel' in input
        ? api<Subscription>('DELETE', '/api/v1/subscription')
        : api<Subscription>(
            'POST',
            '/api/v1/subscription',
            { tier: input.tier },
            { idempotencyKey: idempotencyKey.current },
          ),
    onSuccess: (view) => {
      idempotencyKey.current = newIdempotencyKey();
      setConfirming(null);
      queryClient.setQueryData(['subscription'], view);
      // The tier changes prices, gates and the balance everywhere.
      for (const key of ['me', 'wallet', 'services', 'quote', 'statement'])
        void queryClient.invalidateQueries({ queryKey: [key] });
    },
    onError: (error) => {
      if (error instanceof ApiError) idempotencyKey.current = newIdempotencyKey();
    },
  });
  // One change per press, as on the other pages: a second press must not send the decision's key
  // again while the first is in flight (the server would refuse it as `idempotency_key_in_use`).
  const changeOnce = useSingleFlight((input: Change) => change.mutateAsync(input));
  const choose = (tier: Tier, kind: OfferKind) => {
    change.reset();
    if (kind === 'switch' || kind === 'keep') changeOnce({ tier: tier.name });
    else setConfirming({ tier, kind });
  };

  const sub = subscription.data;
  const current = tiers.data?.find((t) => t.name === sub?.tier);
  const loading = tiers.isPending || subscription.isPending;
  return (
    <>
      <PageHeader title="Plans" description="Your plan, what it includes, and what the others cost." />
      {loading ? <Spinner /> : null}
      <ErrorNote message={tiers.error?.message ?? subscription.error?.message} />
      {sub && current ? (
        <CurrentPlan
          sub={sub}
          current={current}
          tiers={tiers.data ?? []}
          pending={change.isPending}
          onKeep={() => choose(current, 'keep')}
          onCancel={() => choose(current, 'cancel')}
        />
      ) : null}
      {confirming && sub && current ? (
        <ConfirmChange
          choice={confirming}
          current={current}
          sub={sub}
          balance={wallet.data?.balance}
          pending={change.isPending}
          onConfirm={() =>
            changeOnce(confirming.kind === 'cancel' ? { cancel: true } : { tier: confirming.tier.name })
          }
          onBack={() => {
            setConfirming(null);
            change.reset();
          }}
        />
      ) : null}
      {change.error ? (
        <div className="purchase-error" id="plan-error">
          <ErrorNote message={change.error.message} />
          {change.error instanceof ApiError && change.error.code === 'insufficient_funds' ? (
            <Link to="/wallet">Top up your wallet</Link>
          ) : null}
        </div>
      ) : null}
      {sub && current ? (
        <section aria-labelledby="all-plans-title" className="section-tight">
          <h2 id="all-plans-title">All plans</h2>
          <div className="tier-grid">
            {(tiers.data ?? []).map((tier) => {
              const offer = offerFor(tier, current, sub);
              const mine = tier.name === current.name;
              return (
                <article
                  key={tier.name}
                  data-tier={tier.name}
                  className={`card tier${tier.name === HIGHLIGHTED_TIER ? ' tier-highlight' : ''}`}
                >
                  {mine ? <span className="tier-tag">Your plan</span> : null}
                  <TierSummary tier={tier} heading="h3" />
                  {offer ? (
                    <button
                      type="button"
                      className={`button ${offer.kind === 'charge' ? 'button-primary' : 'button-secondary'} button-block plan-action`}
                      disabled={change.isPending}
                      onClick={() => choose(tier, offer.kind)}
                    >
                      {offer.label}
                    </button>
                  ) : null}
                </article>
              );
            })}
          </div>
        </section>
      ) : null}
    </>
  );
}

function CurrentPlan(props: {
  sub: Subscription;
  current: Tier;
  tiers: Tier[];
  pending: boolean;
  onKeep: () => void;
  onCancel: () => void;
}) {
  const { sub, current } = props;
  const scheduled = props.tiers.find((t) => t.name === sub.scheduledTier);
  const payg = props.tiers.find((t) => t.name === 'payg');
  return (
    <section className="card current-plan" aria-labelledby="current-plan-title">
      <div className="card-header">
        <h2 id="current-plan-title">
          Your plan: <span id="current-tier">{current.displayName}</span>
        </h2>
        {sub.status !== 'none' ? (
          <span className={`badge badge-plan-${sub.status}`}>{sub.status.replace('_', ' ')}</span>
        ) : null}
      </div>
      {sub.status === 'past_due' ? (
        <Notice tone="danger">
          The renewal payment failed. Top up and pay by <strong>{formatDate(sub.graceEndsAt)}</strong>, or the
          account moves to {payg?.displayName ?? 'pay as you go'} then.
        </Notice>
      ) : null}
      <dl className="facts">
        <div>
          <dt>Monthly</dt>
          <dd>{formatMoney(current.monthlyPrice)}</dd>
        </div>
        {sub.currentPeriodEnd ? (
          <div>
            <dt>{sub.cancelAtPeriodEnd ? 'Ends on' : 'Renews on'}</dt>
            <dd id="renewal-date">{formatDate(sub.currentPeriodEnd)}</dd>
          </div>
        ) : null}
        {sub.status !== 'none' ? (
          <div>
            <dt>Included usage left</dt>
            <dd id="included-left">
              {formatMoney(sub.includedUsage.remaining)} of {formatMoney(sub.includedUsage.perPeriod)}
            </dd>
          </div>
        ) : null}
      </dl>
      {sub.cancelAtPeriodEnd ? (
        <Notice tone="warning">
          <span id="cancel-notice">
            Canceled: {current.displayName} and its included usage last until{' '}
            {formatDate(sub.currentPeriodEnd)}, then the account moves to{' '}
            {payg?.displayName ?? 'pay as you go'}. Nothing more is charged.
          </span>
        </Notice>
      ) : null}
      {scheduled ? (
        <Notice tone="info">
          Moves to {scheduled.displayName} on {formatDate(sub.currentPeriodEnd)}.
        </Notice>
      ) : null}
      {current.name === 'freemium' ? (
        <p className="muted" id="freemium-hint">
          {payg?.displayName ?? 'Pay as you go'} costs nothing a month: you pay per number from your wallet,
          and voice numbers, area code and carrier choice, API keys and webhooks unlock. Your free
          verification stays. Switch below.
        </p>
      ) : null}
      {sub.status !== 'none' ? (
        <div className="actions">
          {sub.cancelAtPeriodEnd || scheduled ? (
            <button
              type="button"
              id="keep-plan-btn"
              className="button button-secondary"
              disabled={props.pending}
              onClick={props.onKeep}
            >
              Keep {current.displayName}
            </button>
          ) : (
            <button
              type="button"
              id="cancel-plan-btn"
              className="button button-ghost"
              disabled={props.pending}
              onClick={props.onCancel}
            >
              Cancel plan
            </button>
          )}
        </div>
      ) : null}
    </section>
  );
}

function ConfirmChange(props: {
  choice: Pending;
  current: Tier;
  sub: Subscription;
  balance: Money | undefined;
  pending: boolean;
  onConfirm: () => void;
  onBack: () => void;
}) {
  const { choice, current, sub } = props;
  const target = choice.tier;
  const price = formatMoney(target.monthlyPrice);
  const copy = {
    charge: {
      title: `Pay for ${target.displayName}?`,
      button: `Pay ${price}`,
      body: (
        <p>
          <strong id="plan-price">{price}</strong> is paid from your wallet now
          {props.balance ? ` (balance ${formatMoney(props.balance)})` : ''}. A monthly period starts today,
          with {formatMoney(target.includedUsage)} of included usage, and renews from the wallet each month.
        </p>
      ),
    },
    schedule: {
      title: `Switch to ${target.displayName}?`,
      button: `Switch to ${target.displayName}`,
      body: (
        <p>
          {target.displayName} starts on {formatDate(sub.currentPeriodEnd)}, when this period ends. Nothing is
          charged now.
        </p>
      ),
    },
    cancel: {
      title: `Cancel ${current.displayName}?`,
      button: 'Cancel plan',
      body: (
        <p>
          Nothing more is charged.{' '}
          {sub.status === 'past_due'
            ? 'The unpaid plan ends now and the account moves to pay as you go.'
            : `${current.displayName} and its included usage last until ${formatDate(sub.currentPeriodEnd)}; then the account moves to pay as you go.`}
        </p>
      ),
    },
  }[choice.kind === 'charge' || choice.kind === 'schedule' ? choice.kind : 'cancel'];
  return (
    <section className="card confirm-change" aria-labelledby="confirm-change-title">
      <h2 id="confirm-change-title">{copy.title}</h2>
      {copy.body}
      <div className="actions">
        <button
          type="button"
          id="confirm-plan-btn"
          className={`button ${choice.kind === 'cancel' ? 'button-danger' : 'button-primary'}`}
          disabled={props.pending}
          onClick={props.onConfirm}
        >
          {props.pending ? 'Working…' : copy.button}
        </button>
        <button type="button" className="button button-ghost" onClick={props.onBack}>
          Not now
        </button>
      </div>
    </section>
  );
}
