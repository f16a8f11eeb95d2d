/** Pure rules of provider routing: which upstreams may sell a service, and in what order. No I/O. */

/** The upstream providers an order can be bought from; an order keeps its provider for life. */
export const PROVIDERS = ['textverified', 'fivesim'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const isProviderName = (value: string): value is ProviderName =>
  PROVIDERS.some((name) => name === value);

/**
 * How often the SMS poller reads one active order's SMS list at its provider: the first time
 * `firstAfterMs` after the order's creation, then every `everyMs` after its last poll.
 */
export interface SmsPollCadence {
  firstAfterMs: number;
  everyMs: number;
}

/**
 * Each provider's poll cadence, set by how its SMS reach us. A provider that pushes every SMS by
 * webhook is polled only as a fallback for a lost webhook, and not right after the purchase (the
 * webhook normally comes first; the expiry sweep still looks once more before an order expires).
 * A provider without webhooks gets its codes only through the poller: at once, and often.
 */
export const SMS_POLL_CADENCE: Readonly<Record<ProviderName, SmsPollCadence>> = {
  textverified: { firstAfterMs: 60_000, everyMs: 60_000 },
  fivesim: { firstAfterMs: 0, everyMs: 5_000 },
};

/** An admin's rule for one service: only the pinned provider, or none of the disabled ones. */
export interface RoutingRule {
  service: string;
  pinned: ProviderName | null;
  disabled: ProviderName[];
}

/** The configured providers a rule lets sell the service, in the default preference order. */
export function allowedProviders(configured: readonly ProviderName[], rule: RoutingRule | undefined) {
  const allowed = PROVIDERS.filter((name) => configured.includes(name));
  if (!rule) return allowed;
  if (rule.pinned) return allowed.filter((name) => name === rule.pinned);
  return allowed.filter((name) => !rule.disabled.includes(name));
}

/** What routing knows of one provider for one service right now (looked up, cached). */
export interface ProviderFacts {
  name: ProviderName;
  /** Its cost in cents; null when the look-up failed. */
  costCents: number | null;
  /** Numbers it has; null when unknown. */
  stock: number | null;
  /** Its circuit breaker is open: a call would fail fast without reaching it. */
  circuitOpen: boolean;
  /**
   * Share of its orders for this service and country that got their code over the last 7 days
   * (our own orders); null below the statistics' minimum sample or when not measured.
   */
  successRate?: number | null;
}

/**
 * How far below the best measured success rate a provider may be and still compete on price:
 * within it the cheaper one goes first, beyond it the more reliable one does (a number that never
 * gets its code costs the user a retry, whatever it saved).
 */
export const SUCCESS_RATE_MARGIN = 0.1;

/**
 * The order to try providers in: reachable before open circuits, with stock before without,
 * measured clearly less successful (more than SUCCESS_RATE_MARGIN below the best) after the
 * rest, known prices before unknown ones, cheapest first; ties keep the default preference
 * (PROVIDERS order). Nobody is dropped: a refusal is only certain once the provider says it.
 */
export function rankProviders(facts: readonly ProviderFacts[]): ProviderFacts[] {
  const rates = facts.map((f) => f.successRate).filter((r): r is number => typeof r === 'number');
  const best = rates.length > 0 ? Math.max(...rates) : null;
  const lessReliable = (f: ProviderFacts) =>
    best !== null && typeof f.successRate === 'number' && best - f.successRate > SUCCESS_RATE_MARGIN;
  const key = (f: ProviderFacts) => [
    f.circuitOpen ? 1 : 0,
    f.stock === 0 ? 1 : 0,
    lessReliable(f) ? 1 : 0,
    f.costCents === null ? 1 : 0,
    f.costCents ?? 0,
    PROVIDERS.indexOf(f.name),
  ];
  return [...facts].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    return 0;
  });
}

/** The cheapest provider that can sell now (for quotes): reachable, not out of stock, priced. */
export function cheapestOffer(facts: readonly ProviderFacts[]): ProviderFacts | undefined {
  const ranked = rankProviders(facts).filter((f) => f.costCents !== null && f.stock !== 0);
  return ranked.find((f) => !f.circuitOpen) ?? ranked[0];
}
