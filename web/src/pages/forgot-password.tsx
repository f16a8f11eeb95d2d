import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api';
import { Captcha } from '../components/captcha';
import { Field, fieldError, formError } from '../components/field';
import { AuthCard } from '../components/layout';
import { ErrorNote, Notice } from '../components/ui';

export default function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [captcha, setCaptcha] = useState<string | null>(null);
  const [captchaKey, setCaptchaKey] = useState(0);
  const forgot = useMutation({
    mutationFn: () => api<{ message: string }>('POST', '/api/v1/auth/password/forgot', { email, captcha }),
    onSettled: () => {
      setCaptcha(null);
      setCaptchaKey((k) => k + 1);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (captcha) forgot.mutate();
  };
  return (
    <AuthCard title="Reset your password" subtitle="We will e-mail you a link that works for 30 minutes.">
      {forgot.isSuccess ? (
        <Notice tone="success">{forgot.data.message}</Notice>
      ) : (
        <form onSubmit={submit} noValidate className="form">
          <Field
            id="email"
            label="E-mail"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={fieldError(forgot.error, 'email')}
          />
          <Captcha key={captchaKey} onPayload={setCaptcha} />
          <ErrorNote message={formError(forgot.error, ['email'])} />
          <button
            type="submit"
            className="button button-primary button-block"
            disabled={!captcha || forgot.isPending}
          >
            {forgot.isPending ? 'Sending…' : captcha ? 'Send reset link' : 'Checking you are human…'}
          </button>
        </form>
      )}
      <p className="auth-switch">
        <Link to="/login">Back to sign in</Link>
      </p>
    </AuthCard>
  );
}
