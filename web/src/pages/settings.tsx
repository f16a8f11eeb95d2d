import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { Field, fieldError, formError } from '../components/field';
import { QrCode } from '../components/qr-code';
import { CopyButton, ErrorNote, Notice, PageHeader, Spinner } from '../components/ui';
import { formatDate } from '../money';
import { useMe } from '../session';

interface Session {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

function PasswordSection({ mfaEnabled }: { mfaEnabled: boolean }) {
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [otp, setOtp] = useState('');
  const change = useMutation({
    mutationFn: () =>
      api<{ message: string }>('POST', '/api/v1/auth/password/change', {
        currentPassword,
        newPassword,
        ...(mfaEnabled ? { otp } : {}),
      }),
    onSuccess: () => {
      setCurrent('');
      setNew('');
      setOtp('');
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate();
  };
  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form className="form form-narrow" onSubmit={submit} noValidate>
        <Field
          id="current-password"
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={currentPassword}
          onChange={(e) => setCurrent(e.target.value)}
          error={fieldError(change.error, 'currentPassword')}
        />
        <Field
          id="new-password"
          label="New password"
          type="password"
          autoComplete="new-password"
          value={newPassword}
          onChange={(e) => setNew(e.target.value)}
          error={fieldError(change.error, 'newPassword')}
          hint="At least 8 characters."
        />
        {mfaEnabled ? (
          <Field
            id="password-otp"
            label="Authenticator code"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            value={otp}
            onChange={(e) => setOtp(e.target.value.replace(/\D/g, ''))}
            error={fieldError(change.error, 'otp')}
          />
        ) : null}
        <ErrorNote message={formError(change.error, ['currentPassword', 'newPassword', 'otp'])} />
        {change.isSuccess ? <Notice tone="success">{change.data.message}</Notice> : null}
        <button
          type="submit"
          className="button button-primary"
          disabled={change.isPending || !currentPassword || !newPassword}
        >
          {change.isPending ? 'Saving…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}

function MfaSection({ enabled }: { enabled: boolean }) {
  const queryClient = useQueryClient();
  const [otp, setOtp] = useState('');
  const setup = useMutation({
    mutationFn: () => api<{ secret: string; otpauthUrl: string }>('POST', '/api/v1/mfa/totp', {}),
  });
  const verify = useMutation({
    mutationFn: () => api('POST', '/api/v1/mfa/totp/verify', { otp }),
    onSuccess: () => {
      setOtp('');
      setup.reset();
      void queryClient.invalidateQueries({ queryKey: ['me'] });
    },
  });
  const disable = useMutation({
    mutationFn: () => api('DELETE', '/api/v1/mfa/totp', { otp }),
    onSuccess: () => {
      setOtp('');
      void queryClient.invalidateQueries({ queryKey: ['me'] });
    },
  });
  const otpField = (error: unknown) => (
    <Field
      id="mfa-otp"
      label="6-digit code"
      inputMode="numeric"
      autoComplete="one-time-code"
      maxLength={6}
      value={otp}
      onChange={(e) => setOtp(e.target.value.replace(/\D/g, ''))}
      error={fieldError(error, 'otp')}
    />
  );
  return (
    <section className="card" aria-labelledby="mfa-title">
      <h2 id="mfa-title">Two-factor authentication</h2>
      {enabled ? (
        <>
          <Notice tone="success">Two-factor authentication is on.</Notice>
          <form
            className="form form-narrow"
            onSubmit={(e) => {
              e.preventDefault();
              disable.mutate();
            }}
            noValidate
          >
            {otpField(disable.error)}
            <ErrorNote message={formError(disable.error, ['otp'])} />
            <button
              type="submit"
              className="button button-danger"
              disabled={disable.isPending || otp.length !== 6}
            >
              Turn off
            </button>
          </form>
        </>
      ) : setup.data ? (
        <form
          className="form form-narrow"
          onSubmit={(e) => {
            e.preventDefault();
            verify.mutate();
          }}
          noValidate
        >
          <p>
            Scan this code with your authenticator app (Google Authenticator, 1Password, Authy…), or add the
            key by hand, then enter the code it shows.
          </p>
          <QrCode value={setup.data.otpauthUrl} label="QR code of your two-factor key" />
          <div className="secret-row">
            <code className="secret" id="mfa-secret">
              {setup.data.secret}
            </code>
            <CopyButton value={setup.data.secret} label="Copy key" />
          </div>
          <p className="small">
            On a phone: <a href={setup.data.otpauthUrl}>open in your authenticator app</a>.
          </p>
          {otpField(verify.error)}
          <ErrorNote message={formError(verify.error, ['otp'])} />
          <button
            type="submit"
            className="button button-primary"
            disabled={verify.isPending || otp.length !== 6}
          >
            Turn on
          </button>
        </form>
      ) : (
        <>
          <p className="muted">
            Protect your account with a code from an authenticator app at every sign-in.
          </p>
          <ErrorNote message={setup.error?.message} />
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setup.mutate()}
            disabled={setup.isPending}
          >
            Set up two-factor authentication
          </button>
        </>
      )}
    </section>
  );
}

function SessionsSection() {
  const queryClient = useQueryClient();
  const sessions = useQuery({
    queryKey: ['sessions'],
    queryFn: () => api<{ data: Session[] }>('GET', '/api/v1/sessions'),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api('DELETE', `/api/v1/sessions/${id}`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['sessions'] }),
  });
  return (
    <section className="card card-flush" aria-labelledby="sessions-title">
      <div className="card-header card-header-padded">
        <h2 id="sessions-title">Sessions</h2>
      </div>
      {sessions.isPending ? <Spinner /> : null}
      {sessions.isError ? <ErrorNote message={sessions.error.message} /> : null}
      {sessions.data ? (
        <ul className="list list-padded">
          {sessions.data.data.map((s) => (
            <li key={s.id} className="list-row">
              <div>
                <div>
                  {s.userAgent ?? 'Unknown device'}{' '}
                  {s.current ? <span className="badge badge-active">This device</span> : null}
                </div>
                <div className="muted small">
                  {s.ip ?? 'unknown address'} · last used {formatDate(s.lastUsedAt)}
                </div>
              </div>
              {s.current ? null : (
                <button
                  type="button"
                  className="button button-secondary button-small"
                  disabled={revoke.isPending}
                  onClick={() => revoke.mutate(s.id)}
                >
                  Sign out
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      <ErrorNote message={revoke.error?.message} />
    </section>
  );
}

export default function Settings() {
  const me = useMe();
  if (!me.data) return <Spinner />;
  return (
    <>
      <PageHeader title="Settings" description={`Security of ${me.data.email}`} />
      <div className="stack">
        <PasswordSection mfaEnabled={me.data.mfaEnabled} />
        <MfaSection enabled={me.data.mfaEnabled} />
        <SessionsSection />
      </div>
    </>
  );
}
