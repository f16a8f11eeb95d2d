import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { ApiError, api } from '../api';

/** `GET /me` answers 403 `forbidden` for one reason only: the account is suspended. */
export function isSuspended(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403 && error.code === 'forbidden';
}

/** What a suspended person sees instead of the app: why nothing works, and a way out. */
export function Suspended({ email }: { email: string | undefined }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = async () => {
    // The server may refuse even this for a suspended account; the page forgets it either way.
    await api('POST', '/api/v1/auth/logout', {}).catch(() => undefined);
    queryClient.clear();
    await navigate('/login');
  };
  return (
    <main id="main" className="auth-page">
      <div className="auth-card" id="account-suspended">
        <h1>Your account is suspended</h1>
        <p>
          {email ? <strong>{email}</strong> : 'This account'} cannot use Namaskah while it is suspended: its
          sessions and API keys are refused.
        </p>
        <p className="muted">If you think this is a mistake, reply to any e-mail we sent you.</p>
        <button type="button" className="button button-secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </div>
    </main>
  );
}
