import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { type User, api } from '../api';
import { Field, fieldError, formError } from '../components/field';
import { AuthCard } from '../components/layout';
import { ErrorNote, Notice, Spinner } from '../components/ui';

export function ResendConfirmation({ initialEmail = '' }: { initialEmail?: string }) {
  const [email, setEmail] = useState(initialEmail);
  const resend = useMutation({
    mutationFn: () => api<{ message: string }>('POST', '/api/v1/auth/email/resend', { email }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    resend.mutate();
  };
  return (
    <form onSubmit={submit} noValidate className="form resend-form">
      <Field
        id="resend-email"
        label="Didn't get it? Send the confirmation again to"
        type="email"
        autoComplete="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldError(resend.error, 'email')}
      />
      <ErrorNote message={formError(resend.error, ['email'])} />
      {resend.isSuccess ? <Notice tone="success">{resend.data.message}</Notice> : null}
      <button type="submit" className="button button-secondary button-block" disabled={resend.isPending}>
        {resend.isPending ? 'Sending…' : 'Resend confirmation e-mail'}
      </button>
    </form>
  );
}

export default function ConfirmEmail() {
  const [params] = useSearchParams();
  const token = params.get('token');
  const queryClient = useQueryClient();
  const confirm = useMutation({
    mutationFn: (value: string) =>
      api<{ user: User }>('POST', '/api/v1/auth/email/confirm', { token: value }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['me'] }),
  });
  const started = useRef(false);
  useEffect(() => {
    if (token && !started.current) {
      started.current = true;
      confirm.mutate(token);
    }
  }, [token, confirm]);

  if (!token) {
    return (
      <AuthCard title="Confirm your e-mail" subtitle="Open the link we sent you, or ask for a new one.">
        <ResendConfirmation initialEmail={params.get('resend') ?? ''} />
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Confirm your e-mail">
      {confirm.isPending || confirm.isIdle ? <Spinner label="Confirming your address…" /> : null}
      {confirm.isSuccess ? (
        <>
          <Notice tone="success">
            <strong>{confirm.data.user.email}</strong> is confirmed. You can top up and buy numbers now.
          </Notice>
          <Link
            to="/login?next=%2Fdashboard"
            className="button button-primary button-block"
            id="continue-link"
          >
            Continue
          </Link>
        </>
      ) : null}
      {confirm.isError ? (
        <>
          <ErrorNote message={confirm.error.message} />
          <ResendConfirmation />
        </>
      ) : null}
    </AuthCard>
  );
}
