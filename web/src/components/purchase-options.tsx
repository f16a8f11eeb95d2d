import { Link } from 'react-router';
import type { Money } from '../api';
import { formatMoney } from '../money';
import type { Tier } from '../tiers';

/** The carriers the provider takes (TextVerified's `carrierSelectOption` values). */
const CARRIERS: [string, string][] = [
  ['vz', 'Verizon'],
  ['tmo', 'T-Mobile'],
  ['att', 'AT&T'],
];

export interface NumberOptions {
  areaCode: string;
  carrier: string;
}

/** Only a complete 3-digit area code is asked for (and quoted); anything else is no choice yet. */
export const AREA_CODE = /^\d{3}$/;

function gateHint(option: { allowed: boolean; surcharge: Money } | undefined) {
  if (!option) return null;
  if (!option.allowed)
    return (
      <>
        Not on your plan. <Link to="/plans">Upgrade</Link>
      </>
    );
  return option.surcharge.amount > 0 ? `Adds ${formatMoney(option.surcharge)}` : 'Included in your plan';
}

/** Area code and carrier, enabled as the person's tier allows (the server enforces the same gates). */
export function PurchaseOptions({
  tier,
  value,
  onChange,
}: {
  tier: Tier | undefined;
  value: NumberOptions;
  onChange: (next: NumberOptions) => void;
}) {
  const areaAllowed = tier?.gates.areaCode.allowed ?? false;
  const carrierAllowed = tier?.gates.carrier.allowed ?? false;
  return (
    <div className="form-row">
      <div className="field">
        <label htmlFor="area-code">Area code (optional)</label>
        <input
          id="area-code"
          className="input"
          inputMode="numeric"
          autoComplete="off"
          placeholder="e.g. 415"
          maxLength={3}
          value={value.areaCode}
          disabled={!areaAllowed}
          aria-describedby="area-code-hint"
          onChange={(e) => onChange({ ...value, areaCode: e.target.value.replace(/\D/g, '') })}
        />
        <p className="field-hint" id="area-code-hint">
          {gateHint(tier?.gates.areaCode)}
        </p>
      </div>
      <div className="field">
        <label htmlFor="carrier-select">Carrier (optional)</label>
        <select
          id="carrier-select"
          className="input"
          value={value.carrier}
          disabled={!carrierAllowed}
          aria-describedby="carrier-hint"
          onChange={(e) => onChange({ ...value, carrier: e.target.value })}
        >
          <option value="">Any carrier</option>
          {CARRIERS.map(([code, name]) => (
            <option key={code} value={code}>
              {name}
            </option>
          ))}
        </select>
        <p className="field-hint" id="carrier-hint">
          {gateHint(tier?.gates.carrier)}
        </p>
      </div>
    </div>
  );
}
