import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef } from 'react';
import { Link, NavLink, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { ApiError, api } from '../api';
import { formatMoney } from '../money';
import { useMe, useMeta, useWallet } from '../session';
import { Suspended, isSuspended } from './suspended';
import { ErrorNote, Spinner } from './ui';

function Brand() {
  return (
    <Link to="/" className="brand" aria-label="Namaskah home">
      <span className="brand-mark" aria-hidden="true">
        N
      </span>
      <span className="brand-name">Namaskah</span>
    </Link>
  );
}

/** In embedded mode every e-mail lands in the sandbox inbox: say where it is. */
function SandboxBanner() {
  const meta = useMeta();
  if (!meta.data?.embedded || !meta.data.sandboxMailUrl) return null;
  return (
    <div className="sandbox-banner" role="note">
      Demo mode: payments and SMS are simulated. E-mails go to the{' '}
      <a href={meta.data.sandboxMailUrl}>sandbox mail inbox</a>.
    </div>
  );
}

export function PublicLayout() {
  const me = useMe();
  return (
    <div className="public">
      <SandboxBanner />
      <header className="site-header">
        <div className="container site-header-inner">
          <Brand />
          <nav aria-label="Main" className="site-nav">
            <NavLink to="/pricing">Pricing</NavLink>
            <a href="/api/docs">API docs</a>
            {me.data ? (
              <Link to="/dashboard" className="button button-primary button-small">
                Dashboard
              </Link>
            ) : (
              <>
                <NavLink to="/login">Sign in</NavLink>
                <Link to="/register" className="button button-primary button-small">
                  Get started
                </Link>
              </>
            )}
          </nav>
        </div>
      </header>
      <main id="main" className="site-main">
        <Outlet />
      </main>
      <footer className="site-footer">
        <div className="container site-footer-inner">
          <span>© Namaskah</span>
          <nav aria-label="Footer">
            <Link to="/pricing">Pricing</Link>
            <a href="/api/docs">API reference</a>
          </nav>
        </div>
      </footer>
    </div>
  );
}

const APP_NAV: [string, string][] = [
  ['/dashboard', 'Dashboard'],
  ['/verify', 'New verification'],
  ['/history', 'History'],
  ['/wallet', 'Wallet'],
  ['/plans', 'Plans'],
  ['/api-keys', 'API keys'],
  ['/webhooks', 'Webhooks'],
  ['/settings', 'Settings'],
];

export function AppLayout() {
  const me = useMe();
  const location = useLocation();
  const wallet = useWallet(Boolean(me.data));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const seenPath = useRef(location.pathname);
  useEffect(() => {
    // A suspension or a new role applies at once: the account is read again on every page change.
    if (seenPath.current === location.pathname) return;
    seenPath.current = location.pathname;
    void queryClient.invalidateQueries({ queryKey: ['me'] });
  }, [location.pathname, queryClient]);
  if (isSuspended(me.error)) return <Suspended email={me.data?.email} />;
  if (me.isPending) return <Spinner />;
  if (!me.data && me.error instanceof ApiError && me.error.transient) {
    // Busy or briefly unreachable is not signed out: say so, and the query keeps asking.
    return (
      <main id="main" className="app-main">
        <ErrorNote message={`${me.error.message} This page loads again by itself.`} />
      </main>
    );
  }
  if (!me.data) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  const signOut = async () => {
    await api('POST', '/api/v1/auth/logout', {}).catch(() => undefined);
    queryClient.clear();
    await navigate('/login');
  };
  return (
    <div className="app">
      <SandboxBanner />
      <div className="app-shell">
        <aside className="sidebar">
          <Brand />
          <nav aria-label="Account" className="sidebar-nav">
            {APP_NAV.map(([to, label]) => (
              <NavLink key={to} to={to} className="sidebar-link">
                {label}
              </NavLink>
            ))}
            {me.data.role === 'admin' ? (
              <NavLink to="/admin" className="sidebar-link">
                Admin
              </NavLink>
            ) : null}
          </nav>
          <div className="sidebar-footer">
            {wallet.data ? (
              <Link to="/wallet" className="sidebar-balance">
                <span className="muted">Balance</span>
                <strong>{formatMoney(wallet.data.balance)}</strong>
              </Link>
            ) : null}
            <div className="sidebar-user">
              <span className="sidebar-email" title={me.data.email}>
                {me.data.email}
              </span>
              <button type="button" className="link-button" onClick={() => void signOut()}>
                Sign out
              </button>
            </div>
          </div>
        </aside>
        <main id="main" className="app-main">
          {me.data.emailConfirmed ? null : <ConfirmBanner email={me.data.email} />}
          <Outlet />
        </main>
      </div>
    </div>
  );
}

function ConfirmBanner({ email }: { email: string }) {
  return (
    <div className="notice notice-warning confirm-banner" role="status">
      Confirm <strong>{email}</strong> to top up and buy numbers: open the link we e-mailed you.{' '}
      <Link to={`/confirm-email?resend=${encodeURIComponent(email)}`}>Send it again</Link>
    </div>
  );
}

export function AuthCard({
  title,
  subtitle,
  children,
}: {
  title: string;
  subtitle?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="auth-page">
      <div className="auth-card">
        <h1>{title}</h1>
        {subtitle ? <p className="auth-subtitle">{subtitle}</p> : null}
        {children}
      </div>
    </div>
  );
}
