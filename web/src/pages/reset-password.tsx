import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api';
import { Captcha } from '../components/captcha';
import { Field, fieldError, formError } from '../components/field';
import { AuthCard } from '../components/layout';
import { ErrorNote, Notice } from '../components/ui';

export default function ResetPassword() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [captcha, setCaptcha] = useState<string | null>(null);
  const [captchaKey, setCaptchaKey] = useState(0);
  const reset = useMutation({
    mutationFn: () =>
      api<{ message: string }>('POST', '/api/v1/auth/password/reset', { token, password, captcha }),
    onError: () => {
      setCaptcha(null);
      setCaptchaKey((k) => k + 1);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (captcha) reset.mutate();
  };
  if (!token) {
    return (
      <AuthCard title="Choose a new password">
        <ErrorNote message="This link has no reset token. Ask for a new link." />
        <Link to="/forgot-password" className="button button-primary button-block">
          Ask for a new link
        </Link>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Choose a new password">
      {reset.isSuccess ? (
        <>
          <Notice tone="success">{reset.data.message}</Notice>
          <Link to="/login" className="button button-primary button-block">
            Sign in
          </Link>
        </>
      ) : (
        <form onSubmit={submit} noValidate className="form">
          <Field
            id="password"
            label="New password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={fieldError(reset.error, 'password')}
          />
          <Captcha key={captchaKey} onPayload={setCaptcha} />
          <ErrorNote message={formError(reset.error, ['password'])} />
          <button
            type="submit"
            className="button button-primary button-block"
            disabled={!captcha || reset.isPending}
          >
            {reset.isPending ? 'Saving…' : captcha ? 'Set new password' : 'Checking you are human…'}
          </button>
        </form>
      )}
    </AuthCard>
  );
}
