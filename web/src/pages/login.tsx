import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError, type User, api } from '../api';
import { Captcha } from '../components/captcha';
import { Field, fieldError, formError } from '../components/field';
import { AuthCard } from '../components/layout';
import { ErrorNote } from '../components/ui';

/** Only paths of this site: `next` must never send the person elsewhere after sign-in. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/dashboard';
}

export default function Login() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [needsOtp, setNeedsOtp] = useState(false);
  const [captchaLevel, setCaptchaLevel] = useState<number | null>(null);
  const [captcha, setCaptcha] = useState<string | null>(null);
  const [captchaKey, setCaptchaKey] = useState(0);

  const login = useMutation({
    mutationFn: () =>
      api<{ user: User }>('POST', '/api/v1/auth/login', {
        email,
        password,
        ...(captcha ? { captcha } : {}),
        ...(needsOtp && otp ? { otp } : {}),
      }),
    onSuccess: async (result) => {
      queryClient.setQueryData(['me'], result.user);
      await navigate(safeNext(params.get('next')), { replace: true });
    },
    onError: (error) => {
      if (captcha) {
        setCaptcha(null);
        setCaptchaKey((k) => k + 1);
      }
      if (error instanceof ApiError) {
        if (error.code === 'mfa_required') setNeedsOtp(true);
        if (error.code === 'captcha_required') {
          const level = Number(error.details?.captchaLevel ?? 0);
          setCaptchaLevel(Number.isFinite(level) ? level : 0);
        }
      }
    },
  });
  const waitingForCaptcha = captchaLevel !== null && !captcha;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!waitingForCaptcha) login.mutate();
  };
  const mfaPrompt = login.error instanceof ApiError && login.error.code === 'mfa_required';

  return (
    <AuthCard title="Sign in" subtitle="Welcome back.">
      <form onSubmit={submit} noValidate className="form">
        <Field
          id="email"
          label="E-mail"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldError(login.error, 'email')}
        />
        <Field
          id="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldError(login.error, 'password')}
        />
        {needsOtp ? (
          <Field
            id="otp"
            label="Authenticator code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            value={otp}
            onChange={(e) => setOtp(e.target.value.replace(/\D/g, ''))}
            hint="The 6-digit code from your authenticator app."
            error={fieldError(login.error, 'otp')}
          />
        ) : null}
        {captchaLevel !== null ? (
          <Captcha key={captchaKey} level={captchaLevel} onPayload={setCaptcha} />
        ) : null}
        <ErrorNote
          message={mfaPrompt && !otp ? null : formError(login.error, ['email', 'password', 'otp'])}
        />
        <button
          type="submit"
          className="button button-primary button-block"
          disabled={login.isPending || waitingForCaptcha}
        >
          {login.isPending ? 'Signing in…' : waitingForCaptcha ? 'Checking you are human…' : 'Sign in'}
        </button>
      </form>
      <p className="auth-links">
        <Link to="/forgot-password">Forgot your password?</Link>
        <Link to="/confirm-email">Resend the confirmation e-mail</Link>
      </p>
      <p className="auth-switch">
        New to Namaskah? <Link to="/register">Create an account</Link>
      </p>
    </AuthCard>
  );
}
