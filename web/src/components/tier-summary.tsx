import { formatMoney } from '../money';
import { type Tier, describeTier } from '../tiers';

/** A tier's price and what it includes, as the cards of /pricing and /plans show it. */
export function TierSummary({ tier, heading: Heading }: { tier: Tier; heading: 'h2' | 'h3' }) {
  const facts = describeTier(tier);
  return (
    <>
      <Heading>{tier.displayName}</Heading>
      <p className="tier-price">
        {formatMoney(tier.monthlyPrice)}
        <span className="muted"> / month</span>
      </p>
      <ul className="tier-features">
        <li>Included: {facts.included}</li>
        <li>Price: {facts.multiplier}</li>
        <li>Area code: {facts.areaCode}</li>
        <li>Carrier: {facts.carrier}</li>
        <li>Voice numbers: {facts.voice}</li>
        <li>API keys: {facts.apiKeys}</li>
        <li>Webhooks: {facts.webhooks}</li>
        <li>{facts.activeOrders}</li>
      </ul>
    </>
  );
}
