import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError, api, newIdempotencyKey } from '../api';
import { type StatementLine, StatementTable } from '../components/statement-table';
import { Empty, ErrorNote, Notice, PageHeader, Spinner } from '../components/ui';
import { Field } from '../components/field';
import { formatMoney } from '../money';
import { useWallet } from '../session';
import { useSingleFlight } from '../single-flight';

const PRESETS = [500, 1000, 2500, 5000];
/** The API's limits for one top-up (payments/domain.ts), in cents. */
const MIN_TOPUP_CENTS = 100;
const MAX_TOPUP_CENTS = 100_000;
const LIMITS_TEXT = `${formatMoney({ amount: MIN_TOPUP_CENTS, currency: 'USD' })} to ${formatMoney({ amount: MAX_TOPUP_CENTS, currency: 'USD' })}`;

type TopupStatus = 'initializing' | 'initialized' | 'succeeded' | 'failed' | 'abandoned' | 'flagged';

/**
 * The result of a payment the browser came back from. The URL only says which top-up: its status
 * is read from the server (a link with `status=succeeded` proves nothing), and asked again while
 * Paystack has not confirmed it.
 */
function TopupResult() {
  const [params] = useSearchParams();
  const reference = params.get('topup');
  const topup = useQuery({
    queryKey: ['wallet', 'topup', reference],
    enabled: reference !== null,
    queryFn: () =>
      api<{ status: TopupStatus }>('GET', `/api/v1/wallet/topups/${encodeURIComponent(reference ?? '')}`),
    retry: false,
    refetchInterval: (query) =>
      query.state.data?.status === 'initializing' || query.state.data?.status === 'initialized'
        ? 3000
        : false,
  });
  if (reference === null) {
    return params.get('status') ? <UnknownPayment /> : null;
  }
  if (topup.isPending) return <Notice tone="info">Checking your payment…</Notice>;
  if (topup.isError) {
    return topup.error instanceof ApiError && topup.error.status === 404 ? (
      <UnknownPayment />
    ) : (
      <ErrorNote message={topup.error.message} />
    );
  }
  switch (topup.data.status) {
    case 'succeeded':
      return (
        <Notice tone="success">Payment received: your wallet is topped up (reference {reference}).</Notice>
      );
    case 'initializing':
    case 'initialized':
      return (
        <Notice tone="info">
          Your payment is being confirmed; the balance updates as soon as Paystack confirms it.
        </Notice>
      );
    case 'flagged':
      return (
        <Notice tone="warning">
          This payment did not match the top-up it was for; we are reviewing it and will contact you.
        </Notice>
      );
    default:
      return (
        <Notice tone="danger">
          The payment was not completed ({topup.data.status}). Nothing was charged; you can try again.
        </Notice>
      );
  }
}

function UnknownPayment() {
  return (
    <Notice tone="warning">
      We could not find that payment. If you were charged, it is credited as soon as Paystack confirms it.
    </Notice>
  );
}

export default function WalletPage() {
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const wallet = useWallet();
  const [custom, setCustom] = useState('');
  const statement = useInfiniteQuery({
    queryKey: ['wallet', 'statement'],
    queryFn: ({ pageParam }) =>
      api<{ data: StatementLine[]; nextCursor: string | null }>(
        'GET',
        `/api/v1/wallet/statement?limit=25${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  useEffect(() => {
    if (params.get('topup')) void queryClient.invalidateQueries({ queryKey: ['wallet'] });
  }, [params, queryClient]);
  // One top-up per press: a double click would open two (each with its own key), and the buttons
  // stay off while the browser goes to the checkout.
  const [leaving, setLeaving] = useState(false);
  const topup = useMutation({
    mutationFn: (amount: number) =>
      api<{ reference: string; authorizationUrl: string | null }>(
        'POST',
        '/api/v1/wallet/topups',
        { amount, currency: 'USD' },
        { idempotencyKey: newIdempotencyKey() },
      ),
    onSuccess: (result) => {
      if (!result.authorizationUrl) return;
      setLeaving(true);
      window.location.assign(result.authorizationUrl);
    },
  });
  useEffect(() => {
    // Back from the checkout, a page restored from the browser's cache keeps its state: top-ups on again.
    const restored = (event: PageTransitionEvent) => {
      if (event.persisted) setLeaving(false);
    };
    window.addEventListener('pageshow', restored);
    return () => window.removeEventListener('pageshow', restored);
  }, []);
  const topUpOnce = useSingleFlight((amount: number) => topup.mutateAsync(amount));
  const busy = topup.isPending || leaving;
  const customCents = Math.round(Number(custom) * 100);
  // Checked here, in dollars and next to the field (the API's limits are in cents).
  const customProblem =
    custom === ''
      ? null
      : !Number.isFinite(customCents) || customCents < MIN_TOPUP_CENTS || customCents > MAX_TOPUP_CENTS
        ? `Enter an amount from ${LIMITS_TEXT}.`
        : null;
  const lines = statement.data?.pages.flatMap((p) => p.data) ?? [];

  return (
    <>
      <PageHeader title="Wallet" description="Top up with Paystack and see every movement of your money." />
      <TopupResult />
      <div className="stat-grid">
        <div className="card stat">
          <span className="stat-label">Available balance</span>
          <span className="stat-value" id="wallet-balance">
            {wallet.data ? formatMoney(wallet.data.balance) : '…'}
          </span>
        </div>
        <div className="card stat">
          <span className="stat-label">Held by open orders</span>
          <span className="stat-value" id="wallet-held">
            {wallet.data ? formatMoney(wallet.data.held) : '…'}
          </span>
        </div>
        <div className="card stat">
          <span className="stat-label">Free verifications</span>
          <span className="stat-value">
            {wallet.data ? wallet.data.includedUsage.freeVerifications : '…'}
          </span>
        </div>
      </div>
      {wallet.isError ? <ErrorNote message={wallet.error.message} /> : null}

      <section className="card" aria-labelledby="topup-title">
        <h2 id="topup-title">Top up</h2>
        <p className="muted">You pay on Paystack's secure checkout and come straight back here.</p>
        <div className="preset-grid" role="group" aria-label="Top-up amount">
          {PRESETS.map((amount) => (
            <button
              key={amount}
              type="button"
              className="button button-secondary preset"
              data-amount={amount}
              disabled={busy}
              onClick={() => topUpOnce(amount)}
            >
              {formatMoney({ amount, currency: 'USD' })}
            </button>
          ))}
        </div>
        <form
          className="custom-topup"
          onSubmit={(event) => {
            event.preventDefault();
            if (custom !== '' && customProblem === null) topUpOnce(customCents);
          }}
        >
          <Field
            id="topup-amount"
            label={`Other amount (USD, ${LIMITS_TEXT})`}
            type="number"
            min={MIN_TOPUP_CENTS / 100}
            max={MAX_TOPUP_CENTS / 100}
            step="0.01"
            inputMode="decimal"
            value={custom}
            error={customProblem}
            onChange={(e) => setCustom(e.target.value)}
          />
          <button
            type="submit"
            className="button button-primary"
            disabled={busy || custom === '' || customProblem !== null}
          >
            {busy ? 'Opening checkout…' : 'Top up'}
          </button>
        </form>
        <ErrorNote message={topup.error?.message} />
      </section>

      <section className="card card-flush" aria-labelledby="statement-title">
        <div className="card-header card-header-padded">
          <h2 id="statement-title">Statement</h2>
        </div>
        {statement.isPending ? <Spinner /> : null}
        {statement.isError ? <ErrorNote message={statement.error.message} /> : null}
        {statement.isSuccess && lines.length === 0 ? (
          <Empty title="No movements yet">Top-ups, holds and refunds appear here.</Empty>
        ) : null}
        {lines.length > 0 ? (
          <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="statement-title">
            <StatementTable lines={lines} className="statement-table" />
          </div>
        ) : null}
      </section>
      {statement.hasNextPage ? (
        <button
          type="button"
          className="button button-secondary load-more"
          onClick={() => void statement.fetchNextPage()}
        >
          Load more
        </button>
      ) : null}
    </>
  );
}
