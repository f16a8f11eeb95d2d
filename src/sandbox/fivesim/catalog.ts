/**
 * What the 5sim sandbox sells: products per country and operator, each with its own price and
 * stock (5sim prices per operator, §B.2). Prices are kept in cents of the account currency.
 */

export interface OperatorOffer {
  priceCents: number;
  count: number;
  /** Delivery rate in %, omitted by 5sim when low or unknown. */
  rate: number | null;
}

/** country → product → operator → offer. */
export type Catalogue = Map<string, Map<string, Map<string, OperatorOffer>>>;

/** Products of the demo catalogue and their base price in cents (the cheapest operator's). */
const PRODUCTS: Record<string, number> = {
  whatsapp: 90,
  telegram: 80,
  google: 60,
  facebook: 50,
  instagram: 55,
  twitter: 45,
  tiktok: 50,
  discord: 40,
  microsoft: 45,
  amazon: 50,
  uber: 40,
  tinder: 70,
  signal: 60,
  paypal: 75,
};

/** Operators and what they charge over the base price, in cents. */
const OPERATORS: Record<string, number> = { virtual21: 0, virtual4: 15, virtual58: 30 };

export const COUNTRIES: Record<string, { iso: string; prefix: string; text: string }> = {
  usa: { iso: 'us', prefix: '+1', text: 'USA' },
  england: { iso: 'gb', prefix: '+44', text: 'England' },
};

export function defaultCatalogue(): Catalogue {
  const catalogue: Catalogue = new Map();
  for (const country of Object.keys(COUNTRIES)) {
    const products = new Map<string, Map<string, OperatorOffer>>();
    for (const [product, base] of Object.entries(PRODUCTS)) {
      const operators = new Map<string, OperatorOffer>();
      for (const [operator, extra] of Object.entries(OPERATORS)) {
        operators.set(operator, { priceCents: base + extra, count: 200, rate: extra === 0 ? 92.5 : null });
      }
      products.set(product, operators);
    }
    catalogue.set(country, products);
  }
  return catalogue;
}

/** A realistic SMS for a product: its usual wording with a fresh code. */
export function smsTextFor(product: string, code: string): string {
  const name = product.charAt(0).toUpperCase() + product.slice(1);
  return `Your ${name} code is ${code}. Don't share it with anyone.`;
}

export const makeCode = (random: () => number): string => String(Math.floor(random() * 900_000) + 100_000);
