import { Link } from 'react-router';
import { ErrorNote, Spinner } from '../components/ui';
import { formatMoney } from '../money';
import { HIGHLIGHTED_TIER, describeTier, useTiers } from '../tiers';

const STEPS = [
  ['Pick a service', 'WhatsApp, Telegram, Google and hundreds more, with the price shown before you buy.'],
  ['Get a number', 'A real, non-VoIP US number is yours for the verification window.'],
  ['See the code live', 'The SMS appears on screen the moment it arrives. No code, no charge.'],
];

export function Landing() {
  const tiers = useTiers();
  return (
    <>
      <section className="hero">
        <div className="container hero-inner">
          <p className="eyebrow">SMS verification, done right</p>
          <h1 className="hero-title">One-time phone numbers for verification codes.</h1>
          <p className="hero-lead">
            Pay from a prepaid wallet, receive the code in seconds, and get your money back automatically when
            no code arrives.
          </p>
          <div className="hero-actions">
            <Link to="/register" className="button button-primary button-large">
              Create a free account
            </Link>
            <Link to="/pricing" className="button button-secondary button-large">
              See pricing
            </Link>
          </div>
          <p className="hero-note">Your first verification is free. No card needed to sign up.</p>
        </div>
      </section>
      <section className="container section">
        <h2 className="section-title">How it works</h2>
        <ol className="steps">
          {STEPS.map(([title, text], index) => (
            <li key={title} className="card step">
              <span className="step-number" aria-hidden="true">
                {index + 1}
              </span>
              <h3>{title}</h3>
              <p className="muted">{text}</p>
            </li>
          ))}
        </ol>
      </section>
      <section className="container section">
        <div className="feature-grid">
          <div className="card feature">
            <h3>Refunds by themselves</h3>
            <p className="muted">
              Cancel before the SMS or let the window run out: the hold goes back to your wallet.
            </p>
          </div>
          <div className="card feature">
            <h3>Built for developers</h3>
            <p className="muted">A REST API with idempotency keys, scoped API keys and signed webhooks.</p>
          </div>
          <div className="card feature">
            <h3>Every cent accounted for</h3>
            <p className="muted">
              A double-entry ledger behind every balance, with a statement you can read.
            </p>
          </div>
        </div>
      </section>
      <section className="container section">
        <h2 className="section-title">Plans</h2>
        {tiers.isPending ? <Spinner label="Loading plans…" /> : null}
        {tiers.isError ? <ErrorNote message={tiers.error.message} /> : null}
        <div className="tier-grid">
          {tiers.data?.map((tier) => (
            <div
              key={tier.name}
              className={`card tier${tier.name === HIGHLIGHTED_TIER ? ' tier-highlight' : ''}`}
            >
              <h3>{tier.displayName}</h3>
              <p className="tier-price">
                {formatMoney(tier.monthlyPrice)}
                <span className="muted"> / month</span>
              </p>
              <p className="muted">{describeTier(tier).included}</p>
            </div>
          ))}
        </div>
        <p className="center-text">
          <Link to="/pricing">Compare plans in detail</Link>
        </p>
      </section>
    </>
  );
}
