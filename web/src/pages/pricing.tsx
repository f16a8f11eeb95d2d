import { Link } from 'react-router';
import { TierSummary } from '../components/tier-summary';
import { ErrorNote, Spinner } from '../components/ui';
import { formatMoney } from '../money';
import { HIGHLIGHTED_TIER, describeTier, useTiers } from '../tiers';

export default function Pricing() {
  const tiers = useTiers();
  return (
    <section className="container section">
      <header className="section-header">
        <h1>Pricing</h1>
        <p className="muted">Pay only for numbers that deliver. Plans lower the price of every number.</p>
      </header>
      {tiers.isPending ? <Spinner label="Loading plans…" /> : null}
      {tiers.isError ? <ErrorNote message={tiers.error.message} /> : null}
      <div className="tier-grid">
        {tiers.data?.map((tier) => {
          const highlight = tier.name === HIGHLIGHTED_TIER;
          return (
            <article
              key={tier.name}
              className={`card tier${highlight ? ' tier-highlight' : ''}`}
              data-tier={tier.name}
            >
              {highlight ? <span className="tier-tag">Most popular</span> : null}
              <TierSummary tier={tier} heading="h2" />
              <Link
                to="/register"
                className={`button ${highlight ? 'button-primary' : 'button-secondary'} button-block`}
              >
                Get started
              </Link>
            </article>
          );
        })}
      </div>
      {tiers.data ? (
        <div className="table-wrap pricing-table-wrap" tabIndex={0} role="region" aria-label="Plans compared">
          <table className="table">
            <caption>Plans compared</caption>
            <thead>
              <tr>
                <th scope="col">Plan</th>
                <th scope="col">Monthly</th>
                <th scope="col">Included usage</th>
                <th scope="col">Number price</th>
                <th scope="col">Area code</th>
                <th scope="col">Carrier</th>
                <th scope="col">Voice</th>
                <th scope="col">API keys</th>
                <th scope="col">Webhooks</th>
                <th scope="col">Active orders</th>
              </tr>
            </thead>
            <tbody>
              {tiers.data.map((tier) => {
                const facts = describeTier(tier);
                return (
                  <tr key={tier.name}>
                    <th scope="row">{tier.displayName}</th>
                    <td>{formatMoney(tier.monthlyPrice)}</td>
                    <td>{facts.included}</td>
                    <td>{facts.multiplier}</td>
                    <td>{facts.areaCode}</td>
                    <td>{facts.carrier}</td>
                    <td>{facts.voice}</td>
                    <td>{facts.apiKeys}</td>
                    <td>{facts.webhooks}</td>
                    <td>{tier.gates.maxActiveOrders}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
