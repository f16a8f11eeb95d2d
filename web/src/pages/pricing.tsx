import { Link } from 'react-router';
import { formatMoney } from '../money';
import { TIERS } from '../tiers';

const yes = (value: boolean) => (value ? 'Yes' : 'No');

export default function Pricing() {
  return (
    <section className="container section">
      <header className="section-header">
        <h1>Pricing</h1>
        <p className="muted">Pay only for numbers that deliver. Plans lower the price of every number.</p>
      </header>
      <div className="tier-grid">
        {TIERS.map((tier) => (
          <article key={tier.name} className={`card tier${tier.highlight ? ' tier-highlight' : ''}`}>
            {tier.highlight ? <span className="tier-tag">Most popular</span> : null}
            <h2>{tier.title}</h2>
            <p className="tier-price">
              {formatMoney({ amount: tier.monthly, currency: 'USD' })}
              <span className="muted"> / month</span>
            </p>
            <ul className="tier-features">
              <li>Included: {tier.included}</li>
              <li>Price: {tier.multiplier}</li>
              <li>Area code and carrier: {tier.options}</li>
              <li>Voice numbers: {yes(tier.voice)}</li>
              <li>API keys: {tier.apiKeys}</li>
              <li>Webhooks: {yes(tier.webhooks)}</li>
              <li>Up to {tier.activeOrders} active orders</li>
            </ul>
            <Link
              to="/register"
              className={`button ${tier.highlight ? 'button-primary' : 'button-secondary'} button-block`}
            >
              Get started
            </Link>
          </article>
        ))}
      </div>
      <div className="table-wrap pricing-table-wrap" tabIndex={0} role="region" aria-label="Plans compared">
        <table className="table">
          <caption>Plans compared</caption>
          <thead>
            <tr>
              <th scope="col">Plan</th>
              <th scope="col">Monthly</th>
              <th scope="col">Included usage</th>
              <th scope="col">Number price</th>
              <th scope="col">Area code / carrier</th>
              <th scope="col">Voice</th>
              <th scope="col">API keys</th>
              <th scope="col">Webhooks</th>
              <th scope="col">Active orders</th>
            </tr>
          </thead>
          <tbody>
            {TIERS.map((tier) => (
              <tr key={tier.name}>
                <th scope="row">{tier.title}</th>
                <td>{formatMoney({ amount: tier.monthly, currency: 'USD' })}</td>
                <td>{tier.included}</td>
                <td>{tier.multiplier}</td>
                <td>{tier.options}</td>
                <td>{yes(tier.voice)}</td>
                <td>{tier.apiKeys}</td>
                <td>{yes(tier.webhooks)}</td>
                <td>{tier.activeOrders}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
