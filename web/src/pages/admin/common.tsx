import { Link } from 'react-router';
import { ApiError } from '../../api';
import { ErrorNote } from '../../components/ui';

/** Signed in, but not an administrator: nothing of the admin area is shown or requested. */
export function NotAllowed() {
  return (
    <section className="card admin-state" aria-labelledby="not-allowed-title">
      <h1 id="not-allowed-title">Not allowed</h1>
      <p>This area is for Namaskah administrators only. Your account cannot open it.</p>
      <Link to="/dashboard" className="button button-primary">
        Back to your dashboard
      </Link>
    </section>
  );
}

/** An administrator without two-factor authentication: the API refuses every admin route until it is on. */
export function MfaNeeded() {
  return (
    <section className="card admin-state" aria-labelledby="mfa-needed-title">
      <h1 id="mfa-needed-title">Turn on two-factor authentication</h1>
      <p>
        Administrators must sign in with a code from an authenticator app. Turn on two-factor authentication
        in your settings, then come back here.
      </p>
      <Link to="/settings" className="button button-primary" id="admin-mfa-setup">
        Set up two-factor authentication
      </Link>
    </section>
  );
}

/** A query's failure: the refusals that concern the whole admin area get their own state. */
export function AdminError({ error }: { error: Error | null }) {
  if (!error) return null;
  if (error instanceof ApiError && error.code === 'mfa_setup_required') return <MfaNeeded />;
  if (error instanceof ApiError && error.status === 403 && error.code === 'forbidden') return <NotAllowed />;
  return <ErrorNote message={error.message} />;
}

/** A multiplier in basis points (12 500 = ×1.25) as people read it. */
export function formatBps(bps: number): string {
  return `×${(bps / 10_000).toFixed(2)}`;
}

/** `12.5` (a percentage markup) from basis points of the multiplier (11 250). */
export const bpsToPercent = (bps: number) => Math.round((bps - 10_000) / 10) / 10;
export const percentToBps = (percent: number) => Math.round(10_000 + percent * 100);

export function YesNo({ value }: { value: boolean }) {
  return <span className={value ? 'flag flag-on' : 'flag flag-off'}>{value ? 'Yes' : 'No'}</span>;
}

/**
 * A decimal typed by a person as an integer of `decimals` places (`parseFixed('12.5', 7, 2)` = 1250),
 * or null unless it is digits with at most `whole` before the point and `decimals` after it.
 */
export function parseFixed(text: string, whole: number, decimals: number): number | null {
  const [integer = '', fraction = '', ...rest] = text.trim().split('.');
  if (rest.length > 0 || integer.length === 0 || integer.length > whole || fraction.length > decimals)
    return null;
  if (!/^\d*$/.test(integer + fraction)) return null;
  return Number(integer) * 10 ** decimals + Number(fraction.padEnd(decimals, '0'));
}
