import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { useSingleFlight } from '../single-flight';
import { api } from '../api';
import { Captcha } from '../components/captcha';
import { Field, fieldError, formError } from '../components/field';
import { AuthCard } from '../components/layout';
import { ErrorNote, Notice } from '../components/ui';
import { useMeta } from '../session';
import { ResendConfirmation } from './confirm-email';

export default function Register() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [captcha, setCaptcha] = useState<string | null>(null);
  const [captchaKey, setCaptchaKey] = useState(0);
  const meta = useMeta();
  const register = useMutation({
    mutationFn: () =>
      api<{ message: string; email: string }>('POST', '/api/v1/auth/register', { email, password, captcha }),
    onError: () => {
      // A captcha solution is good for one request: solve a fresh one for the next try.
      setCaptcha(null);
      setCaptchaKey((k) => k + 1);
    },
  });
  const registerOnce = useSingleFlight(() => register.mutateAsync());
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (captcha) registerOnce();
  };

  if (register.isSuccess) {
    return (
      <AuthCard title="Check your inbox" subtitle={register.data.message}>
        <Notice tone="success">
          We sent a confirmation link to <strong>{register.data.email}</strong>. Open it, then sign in.
        </Notice>
        {meta.data?.sandboxMailUrl ? (
          <p>
            Demo mode: the e-mail is in the <a href={meta.data.sandboxMailUrl}>sandbox mail inbox</a>.
          </p>
        ) : null}
        <ResendConfirmation initialEmail={register.data.email} />
        <Link to="/login" className="button button-primary button-block">
          Continue to sign in
        </Link>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Create your account" subtitle="Your first verification is on us.">
      <form onSubmit={submit} noValidate className="form">
        <Field
          id="email"
          label="E-mail"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldError(register.error, 'email')}
        />
        <Field
          id="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint="At least 8 characters. A long phrase is best."
          error={fieldError(register.error, 'password')}
        />
        <Captcha key={captchaKey} onPayload={setCaptcha} />
        <ErrorNote message={formError(register.error, ['email', 'password'])} />
        <button
          type="submit"
          className="button button-primary button-block"
          disabled={!captcha || register.isPending}
        >
          {register.isPending ? 'Creating account…' : captcha ? 'Create account' : 'Checking you are human…'}
        </button>
      </form>
      <p className="auth-switch">
        Already have an account? <Link to="/login">Sign in</Link>
      </p>
    </AuthCard>
  );
}
