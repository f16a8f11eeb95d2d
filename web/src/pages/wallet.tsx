import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, newIdempotencyKey } from '../api';
import { type StatementLine, StatementTable } from '../components/statement-table';
import { Empty, ErrorNote, Notice, PageHeader, Spinner } from '../components/ui';
import { formatMoney } from '../money';
import { useWallet } from '../session';

const PRESETS = [500, 1000, 2500, 5000];

function TopupResult() {
  const [params] = useSearchParams();
  const status = params.get('status');
  const reference = params.get('topup');
  if (!status) return null;
  if (status === 'succeeded')
    return (
      <Notice tone="success">
        Payment received: your wallet is topped up{reference ? ` (reference ${reference})` : ''}.
      </Notice>
    );
  if (status === 'pending' || status === 'processing')
    return (
      <Notice tone="info">
        Your payment is being confirmed; the balance updates as soon as Paystack confirms it.
      </Notice>
    );
  if (status === 'unknown')
    return (
      <Notice tone="warning">
        We could not find that payment. If you were charged, it is credited as soon as Paystack confirms it.
      </Notice>
    );
  return (
    <Notice tone="danger">
      The payment was not completed ({status}). Nothing was charged; you can try again.
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
  const topup = useMutation({
    mutationFn: (amount: number) =>
      api<{ reference: string; authorizationUrl: string | null }>(
        'POST',
        '/api/v1/wallet/topups',
        { amount, currency: 'USD' },
        { idempotencyKey: newIdempotencyKey() },
      ),
    onSuccess: (result) => {
      if (result.authorizationUrl) window.location.assign(result.authorizationUrl);
    },
  });
  const customCents = Math.round(Number(custom) * 100);
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
              disabled={topup.isPending}
              onClick={() => topup.mutate(amount)}
            >
              {formatMoney({ amount, currency: 'USD' })}
            </button>
          ))}
        </div>
        <form
          className="custom-topup"
          onSubmit={(event) => {
            event.preventDefault();
            if (customCents > 0) topup.mutate(customCents);
          }}
        >
          <div className="field">
            <label htmlFor="topup-amount">Other amount (USD)</label>
            <input
              id="topup-amount"
              className="input"
              type="number"
              min="1"
              step="0.01"
              inputMode="decimal"
              value={custom}
              onChange={(e) => setCustom(e.target.value)}
            />
          </div>
          <button
            type="submit"
            className="button button-primary"
            disabled={topup.isPending || !(customCents > 0)}
          >
            {topup.isPending ? 'Opening checkout…' : 'Top up'}
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
