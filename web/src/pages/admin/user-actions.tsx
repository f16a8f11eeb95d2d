import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, newIdempotencyKey } from '../../api';
import { fieldError, formError } from '../../components/field';
import { ErrorNote, Notice } from '../../components/ui';
import { formatMoney } from '../../money';
import { parseFixed } from './common';
import type { Adjustment, AdminUser } from './types';

export const userKey = (id: string) => ['admin', 'user', id];

/** `12.34` → 1234 cents; null unless it is a positive amount with at most two decimals. */
function toCents(text: string): number | null {
  const cents = parseFixed(text, 6, 2);
  return cents !== null && cents > 0 ? cents : null;
}

export function Reason({
  id,
  label,
  value,
  onChange,
  error,
  optional = false,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | null;
  optional?: boolean;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {optional ? <span className="muted"> (optional)</span> : null}
      </label>
      <textarea
        id={id}
        className="input admin-reason"
        rows={2}
        maxLength={500}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-hint ${id}-error` : `${id}-hint`}
        onChange={(e) => onChange(e.target.value)}
      />
      <p className="field-hint" id={`${id}-hint`}>
        {optional ? 'Up to 500 characters' : '3 to 500 characters'}, kept in the audit log.
      </p>
      {error ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * A credit or debit of the wallet with a reason, confirmed before it is sent. The Idempotency-Key is
 * made when the admin confirms and kept until it succeeds: a retry after a lost answer posts once.
 */
export function AdjustBalance({ user }: { user: AdminUser }) {
  const queryClient = useQueryClient();
  const [direction, setDirection] = useState<'credit' | 'debit'>('credit');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [pending, setPending] = useState<{ amount: number; key: string } | null>(null);
  const cents = toCents(amount);
  const adjust = useMutation({
    mutationFn: (request: { amount: number; key: string }) =>
      api<Adjustment>(
        'POST',
        `/api/v1/admin/users/${user.id}/adjustments`,
        { amount: request.amount, reason: reason.trim() },
        { idempotencyKey: request.key },
      ),
    onSuccess: () => {
      setPending(null);
      setAmount('');
      setReason('');
      void queryClient.invalidateQueries({ queryKey: userKey(user.id) });
    },
  });
  const edit =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      // What was confirmed is no longer what the form says: ask again, with a new key.
      setPending(null);
    };
  const review = (event: FormEvent) => {
    event.preventDefault();
    if (cents === null || reason.trim().length < 3) return;
    adjust.reset();
    setPending({ amount: direction === 'credit' ? cents : -cents, key: newIdempotencyKey() });
  };
  const amountError =
    amount && cents === null ? 'Enter an amount in dollars, e.g. 12.50.' : fieldError(adjust.error, 'amount');

  return (
    <section className="card" aria-labelledby="adjust-title">
      <h2 id="adjust-title">Adjust the balance</h2>
      <p className="muted small">
        Posts a ledger transaction against the adjustments account. The reason is kept in the audit log; the
        user sees “Balance adjustment” on their statement.
      </p>
      <form className="form" onSubmit={review} noValidate>
        <div className="segmented" role="radiogroup" aria-label="Direction">
          {(['credit', 'debit'] as const).map((value) => (
            <label key={value} className="segmented-option">
              <input
                type="radio"
                name="adjust-direction"
                value={value}
                checked={direction === value}
                onChange={() => edit(setDirection)(value)}
              />
              {value === 'credit' ? 'Credit (add)' : 'Debit (take)'}
            </label>
          ))}
        </div>
        <div className="field">
          <label htmlFor="adjust-amount">Amount (USD)</label>
          <input
            id="adjust-amount"
            className="input"
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            aria-invalid={amountError ? true : undefined}
            aria-describedby={amountError ? 'adjust-amount-error' : undefined}
            onChange={(e) => edit(setAmount)(e.target.value)}
          />
          {amountError ? (
            <p className="field-error" id="adjust-amount-error" role="alert">
              {amountError}
            </p>
          ) : null}
        </div>
        <Reason
          id="adjust-reason"
          label="Reason"
          value={reason}
          onChange={edit(setReason)}
          error={fieldError(adjust.error, 'reason')}
        />
        {pending ? (
          <div className="admin-confirm" role="group" aria-labelledby="adjust-confirm-text">
            <p id="adjust-confirm-text">
              {pending.amount > 0 ? 'Credit' : 'Debit'}{' '}
              <strong>{formatMoney({ amount: Math.abs(pending.amount), currency: 'USD' })}</strong>{' '}
              {pending.amount > 0 ? 'to' : 'from'} {user.email}?
            </p>
            <div className="inline-actions">
              <button
                type="button"
                id="adjust-confirm"
                className="button button-primary"
                disabled={adjust.isPending}
                onClick={() => adjust.mutate(pending)}
              >
                {adjust.isPending ? 'Posting…' : 'Confirm adjustment'}
              </button>
              <button type="button" className="button button-secondary" onClick={() => setPending(null)}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <button
            type="submit"
            id="adjust-btn"
            className="button button-secondary"
            disabled={cents === null || reason.trim().length < 3}
          >
            Review adjustment
          </button>
        )}
        <ErrorNote message={formError(adjust.error, ['amount', 'reason'])} />
        {adjust.isSuccess ? (
          <Notice tone="success">
            {adjust.data.amount.amount > 0 ? 'Credited' : 'Debited'}{' '}
            {formatMoney({ amount: Math.abs(adjust.data.amount.amount), currency: 'USD' })}. The balance is
            now {formatMoney(adjust.data.balance)}.
          </Notice>
        ) : null}
      </form>
    </section>
  );
}

/** Suspends (reason required, confirmed first) or reactivates the account. */
export function SuspendControl({ user, self }: { user: AdminUser; self: boolean }) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const suspended = user.status === 'suspended';
  const change = useMutation({
    mutationFn: () =>
      api<AdminUser>(
        'POST',
        `/api/v1/admin/users/${user.id}/${suspended ? 'unsuspend' : 'suspend'}`,
        reason.trim() ? { reason: reason.trim() } : {},
      ),
    onSuccess: () => {
      setReason('');
      setConfirming(false);
      void queryClient.invalidateQueries({ queryKey: userKey(user.id) });
      void queryClient.invalidateQueries({ queryKey: ['admin', 'users'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (suspended) change.mutate();
    else if (reason.trim().length >= 3) setConfirming(true);
  };

  return (
    <section className="card" aria-labelledby="suspend-title">
      <h2 id="suspend-title">{suspended ? 'Reactivate the account' : 'Suspend the account'}</h2>
      {self ? (
        <p className="muted">You cannot suspend your own account.</p>
      ) : (
        <form className="form" onSubmit={submit} noValidate>
          <p className="muted small">
            {suspended
              ? 'The user can sign in again and their API keys work again.'
              : 'The user is locked out at once: sessions, API keys and open pages are refused.'}
          </p>
          <Reason
            id="suspend-reason"
            label="Reason"
            optional={suspended}
            value={reason}
            onChange={(value) => {
              setReason(value);
              setConfirming(false);
            }}
            error={fieldError(change.error, 'reason')}
          />
          {confirming ? (
            <div className="admin-confirm" role="group" aria-labelledby="suspend-confirm-text">
              <p id="suspend-confirm-text">Suspend {user.email} now?</p>
              <div className="inline-actions">
                <button
                  type="button"
                  id="suspend-confirm"
                  className="button button-danger"
                  disabled={change.isPending}
                  onClick={() => change.mutate()}
                >
                  {change.isPending ? 'Suspending…' : 'Suspend'}
                </button>
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => setConfirming(false)}
                >
                  Cancel
                </button>
              </div>
            </div>
          ) : (
            <button
              type="submit"
              id={suspended ? 'unsuspend-btn' : 'suspend-btn'}
              className={suspended ? 'button button-primary' : 'button button-danger'}
              disabled={change.isPending || (!suspended && reason.trim().length < 3)}
            >
              {suspended ? (change.isPending ? 'Reactivating…' : 'Reactivate') : 'Suspend…'}
            </button>
          )}
          <ErrorNote message={formError(change.error, ['reason'])} />
        </form>
      )}
    </section>
  );
}
