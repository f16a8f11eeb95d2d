/**
 * One shape for every upstream an order can be bought from, so that purchase, polling, cancel,
 * report and expiry go through the order's own provider without knowing which one it is. Each
 * adapter maps its client's calls and errors onto this shape; nothing else here knows a protocol.
 */
import { isFiveSimError, type FiveSimClient } from '../../providers/fivesim/index.js';
import { isTextVerifiedError, type TextVerifiedClient } from '../../providers/textverified/index.js';
import type { ProviderName } from './domain.js';

export type Capability = 'sms' | 'voice';

export interface OfferRequest {
  service: string;
  country: string;
  capability: Capability;
  areaCode: boolean;
  carrier: boolean;
}

export interface BuyRequest {
  service: string;
  country: string;
  capability: Capability;
  areaCodes?: string[] | undefined;
  carrier?: string | undefined;
  /** The most we accept to pay the provider, in cents. */
  maxPriceCents: number;
  /** The same for every attempt at one order (providers that honour keys replay, not repeat). */
  idempotencyKey: string;
}

export interface BoughtNumber {
  providerId: string;
  e164: string;
  endsAt: Date;
  costCents: number;
}

export interface UpstreamSms {
  id: string | null;
  /** The number it was sent to, when the provider says. */
  to: string | null;
  createdAt: Date;
  text: string | null;
  parsedCode: string | null;
  from: string | null;
}

/** How a provider error reads to routing and to the order's state machine. */
export interface UpstreamFailure {
  /** The client's kind, with shared names: `unavailable` (no numbers), `insufficient_balance`, … */
  kind: string;
  /** The call may have taken effect upstream. */
  ambiguous: boolean;
  /** Never sent: the breaker refused it. */
  circuitOpen: boolean;
}

export type CircuitState = 'closed' | 'open' | 'half_open' | 'isolated';

export interface Upstream {
  readonly name: ProviderName;
  /**
   * A retried purchase under the same key is replayed, never repeated (TextVerified's
   * Idempotency-Key); without it an unknown purchase outcome cannot be asked again.
   */
  readonly replaysPurchases: boolean;
  /** Whether it can sell with these options at all (country, capability, area code, carrier). */
  supports(request: OfferRequest): boolean;
  /**
   * For a provider that cannot replay purchases: its numbers for `service` bought between `from`
   * and `to` that are still open, oldest first — one of them may be an order's whose answer was
   * lost. Undefined when the provider cannot list them.
   */
  boughtBetween?(query: { service: string; from: Date; to: Date }): Promise<BoughtNumber[]>;
  /** Its cost and stock; null when it does not sell the service there. */
  offer(request: OfferRequest): Promise<{ costCents: number; stock: number | null } | null>;
  buy(request: BuyRequest): Promise<BoughtNumber>;
  listSms(providerId: string): Promise<UpstreamSms[]>;
  cancel(providerId: string): Promise<void>;
  report(providerId: string): Promise<void>;
  /** Our account's balance there, in cents. */
  balanceCents(): Promise<number>;
  circuitState(): CircuitState;
  /** The error as a failure of this provider, or null when it is not one of its errors. */
  failureOf(error: unknown): UpstreamFailure | null;
}

export function textVerifiedUpstream(client: TextVerifiedClient): Upstream {
  return {
    name: 'textverified',
    replaysPurchases: true,
    supports: (request) => request.country.toUpperCase() === 'US',
    async offer(request) {
      const [price, stock] = await Promise.all([
        client
          .priceVerification({
            serviceName: request.service,
            capability: request.capability,
            areaCode: request.areaCode,
            carrier: request.carrier,
          })
          .catch((error: unknown) => {
            // It answered that it does not sell this (unknown service, option it lacks).
            if (isTextVerifiedError(error) && error.kind === 'bad_request') return null;
            throw error;
          }),
        client.inventory({ serviceName: request.service, capability: request.capability }).catch(() => null),
      ]);
      return price ? { costCents: price.priceCents, stock } : null;
    },
    async buy(request) {
      const bought = await client.createVerification(
        {
          serviceName: request.service,
          capability: request.capability,
          ...(request.areaCodes?.length ? { areaCodes: request.areaCodes } : {}),
          ...(request.carrier ? { carriers: [request.carrier] } : {}),
          maxPriceCents: request.maxPriceCents,
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return {
        providerId: bought.id,
        e164: bought.e164,
        endsAt: bought.endsAt,
        costCents: bought.totalCostCents,
      };
    },
    async listSms(providerId) {
      const list = await client.listSms({ reservationId: providerId });
      return list.map((m) => ({
        id: m.id,
        to: m.to,
        createdAt: m.createdAt,
        text: m.text,
        parsedCode: m.parsedCode,
        from: m.from,
      }));
    },
    cancel: (providerId) => client.cancelVerification(providerId),
    report: (providerId) => client.reportVerification(providerId),
    balanceCents: () => client.getBalance(),
    circuitState: () => client.circuitState(),
    failureOf: (error) => (isTextVerifiedError(error) ? error : null),
  };
}

/** Our ISO country codes → 5sim's country names (§B.2 `/guest/countries`). */
const FIVESIM_COUNTRIES: Record<string, string> = { US: 'usa', GB: 'england' };

export function fiveSimUpstream(client: FiveSimClient): Upstream {
  const countryOf = (code: string) => FIVESIM_COUNTRIES[code.toUpperCase()];
  const productOf = (service: string) => service.toLowerCase();
  return {
    name: 'fivesim',
    replaysPurchases: false,
    // 5sim sells SMS activations by country and operator: no area code, carrier or voice choice.
    supports: (request) =>
      countryOf(request.country) !== undefined &&
      request.capability === 'sms' &&
      !request.areaCode &&
      !request.carrier,
    async offer(request) {
      const country = countryOf(request.country);
      if (!country) return null;
      const offers = await client.prices({ country, product: productOf(request.service) });
      if (offers.length === 0) return null;
      const inStock = offers.filter((o) => o.count > 0);
      return {
        // What a purchase with operator `any` pays: the cheapest operator that has numbers.
        costCents: (inStock[0] ?? offers[0]!).priceCents,
        stock: inStock.reduce((sum, o) => sum + o.count, 0),
      };
    },
    async buy(request) {
      const country = countryOf(request.country);
      if (!country) throw new Error(`5sim does not sell numbers in ${request.country}`);
      const order = await client.buyActivation({
        country,
        product: productOf(request.service),
        maxPriceCents: request.maxPriceCents,
        // Only a number bought with reuse=1 can be bought again (the renewals' reuse, docs/reuse.md).
        reuse: true,
      });
      return {
        providerId: order.id,
        e164: order.phone,
        endsAt: order.expiresAt,
        costCents: order.priceCents,
      };
    },
    async listSms(providerId) {
      const order = await client.checkOrder(providerId);
      // 5sim's SMS carry no recipient: they are the order's number's by construction.
      return order.sms.map((m) => ({
        id: m.id,
        to: order.phone,
        createdAt: m.createdAt,
        text: m.text,
        parsedCode: m.code,
        from: m.sender,
      }));
    },
    async boughtBetween(query) {
      const product = productOf(query.service);
      const orders = await client.listOrders({ limit: 100 });
      return orders
        .filter(
          (o) =>
            o.product === product &&
            (o.status === 'pending' || o.status === 'received') &&
            o.createdAt.getTime() >= query.from.getTime() &&
            o.createdAt.getTime() <= query.to.getTime(),
        )
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        .map((o) => ({ providerId: o.id, e164: o.phone, endsAt: o.expiresAt, costCents: o.priceCents }));
    },
    cancel: async (providerId) => void (await client.cancelOrder(providerId)),
    // 5sim's report is a ban: "the number is already used" (§B.2).
    report: async (providerId) => void (await client.banOrder(providerId)),
    balanceCents: () => client.getBalance(),
    circuitState: () => client.circuitState(),
    failureOf: (error) => (isFiveSimError(error) ? error : null),
  };
}
