/**
 * 5sim API client (contract §B). The only place Namaskah talks to 5sim.
 *
 * - Auth: `Authorization: Bearer <api key>` on user endpoints; guest endpoints without it.
 * - Resilience (transport.ts, cockatiel, as for TextVerified): a timeout per attempt, retried
 *   reads, never-retried writes (failures that may have applied are `ambiguous`), a breaker.
 * - Errors: 5sim's plain-text strings (`no free phones`, `not enough user balance`, …) become
 *   typed `FiveSimError`s, whatever the HTTP status they came with.
 * - Money: 5sim amounts are in the account's currency; they become integer cents here, once.
 */
import { FiveSimError } from './errors.js';
import { centsToUnits, mapOrder, unitsToCents } from './mapping.js';
import { createTransport, type TransportOptions } from './transport.js';
import type {
  BuyActivationInput,
  FiveSimOffer,
  FiveSimOrder,
  WireOrder,
  WirePrices,
  WireProfile,
} from './types.js';

export interface FiveSimClientOptions {
  /** e.g. `https://5sim.net` or the sandbox `url` (the client adds `/v1`). */
  baseUrl: string;
  /** The API key (a JWT). */
  apiKey: string;
  /** Cents of USD per unit of the account's currency (default 100: a dollar account). */
  centsPerUnit?: number;
  /**
   * How long after its first SMS a number bought with `reuse` stays offered for reuse. 5sim does
   * not publish it (§B.2 names only `reuse expired`); default 15 min, the length of an activation,
   * a guess on the short side so that a number shown as reusable is rarely refused.
   */
  reuseWindowMs?: number;
  /** Per-attempt timeout (default 10 000 ms). */
  timeoutMs?: number;
  retry?: { retries?: number; initialDelayMs?: number; maxDelayMs?: number };
  /** Breaker: opens after N consecutive transient failures (default 5), half-opens after 30 s. */
  circuitBreaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  /** How requests are sent (default undici on a keep-alive agent); tests wrap it to watch calls. */
  send?: TransportOptions['send'];
}

export interface FiveSimClient {
  /** Buys an activation number. Never retried (5sim has no idempotency key). */
  buyActivation(input: BuyActivationInput): Promise<FiveSimOrder>;
  /**
   * Buys `number` again for `product` (`/user/reuse`, §B.2): a new order on the same number, at the
   * product's price. Never retried. Refusals (`reuse not possible`, `reuse false`, `reuse expired`)
   * are `not_eligible`. `number` may be E.164 (`+1…`): 5sim takes the 4–15 digits without `+`.
   */
  reuse(product: string, number: string): Promise<FiveSimOrder>;
  /** The reuse window this client assumes (see `reuseWindowMs`). */
  readonly reuseWindowMs: number;
  checkOrder(id: string): Promise<FiveSimOrder>;
  /** Gives the number back before an SMS (5sim refuses with `order has sms` after one). */
  cancelOrder(id: string): Promise<FiveSimOrder>;
  /** Reports the number as already used. */
  banOrder(id: string): Promise<FiveSimOrder>;
  finishOrder(id: string): Promise<FiveSimOrder>;
  /** The account's activation orders, newest first (`/user/orders`, for reconciliation). */
  listOrders(query?: { limit?: number; offset?: number }): Promise<FiveSimOrder[]>;
  /** Operators offering `product` in `country`, cheapest first (empty when none). */
  prices(query: { country: string; product: string }): Promise<FiveSimOffer[]>;
  /** Account balance in cents (rounded down). */
  getBalance(): Promise<number>;
  circuitState(): 'closed' | 'open' | 'half_open' | 'isolated';
}

const seg = (value: string) => encodeURIComponent(value);

export function createFiveSimClient(options: FiveSimClientOptions): FiveSimClient {
  const transport = createTransport(options);
  const centsPerUnit = options.centsPerUnit ?? 100;

  const expectOrder = (value: unknown, what: string): FiveSimOrder => {
    const wire = value as Partial<WireOrder> | null;
    if (!wire || typeof wire !== 'object' || wire.id === undefined || typeof wire.status !== 'string') {
      throw new FiveSimError('server_error', `5sim ${what}: unexpected response shape`);
    }
    try {
      return mapOrder(wire as WireOrder, centsPerUnit);
    } catch (cause) {
      throw new FiveSimError('server_error', `5sim ${what}: ${(cause as Error).message}`, { cause });
    }
  };

  const orderAction = async (action: 'check' | 'cancel' | 'ban' | 'finish', id: string) => {
    const what = `${action} order`;
    return expectOrder(
      await transport.send({
        path: `/user/${action}/${seg(id)}`,
        write: action !== 'check',
        auth: true,
        what,
      }),
      what,
    );
  };

  /** A 200 to a purchase that cannot be read: something may have been bought. */
  const boughtOrder = (answer: unknown, what: string) => {
    try {
      return expectOrder(answer, what);
    } catch (error) {
      throw new FiveSimError('server_error', (error as Error).message, { ambiguous: true, cause: error });
    }
  };

  return {
    async buyActivation(input) {
      const operator = input.operator ?? 'any';
      const what = 'buy activation';
      const query: Record<string, string | undefined> = {};
      // maxPrice only applies with operator `any` (§B.2).
      if (input.maxPriceCents !== undefined && operator === 'any') {
        query.maxPrice = String(centsToUnits(input.maxPriceCents, centsPerUnit));
      }
      if (input.reuse) query.reuse = '1';
      const answer = await transport.send({
        path: `/user/buy/activation/${seg(input.country)}/${seg(operator)}/${seg(input.product)}`,
        query,
        write: true,
        auth: true,
        what,
      });
      return boughtOrder(answer, what);
    },

    async reuse(product, number) {
      const what = 'reuse number';
      const digits = number.startsWith('+') ? number.slice(1) : number;
      // Checked here: a malformed number would only come back as an undocumented error.
      if (!/^\d{4,15}$/.test(digits)) {
        throw new FiveSimError('bad_request', `5sim ${what}: not a phone number: ${number}`);
      }
      const answer = await transport.send({
        path: `/user/reuse/${seg(product)}/${digits}`,
        write: true,
        auth: true,
        what,
      });
      return boughtOrder(answer, what);
    },

    reuseWindowMs: options.reuseWindowMs ?? 15 * 60_000,

    checkOrder: (id) => orderAction('check', id),
    cancelOrder: (id) => orderAction('cancel', id),
    banOrder: (id) => orderAction('ban', id),
    finishOrder: (id) => orderAction('finish', id),

    async listOrders(query = {}) {
      const answer = (await transport.send({
        path: '/user/orders',
        query: {
          category: 'activation',
          limit: String(query.limit ?? 100),
          offset: String(query.offset ?? 0),
          order: 'id',
          reverse: 'true',
        },
        write: false,
        auth: true,
        what: 'list orders',
      })) as { Data?: unknown } | null;
      // The list comes in a PascalCase wrapper (§B.2).
      if (!answer || !Array.isArray(answer.Data)) {
        throw new FiveSimError('server_error', '5sim list orders: unexpected response shape');
      }
      return answer.Data.map((order) => expectOrder(order, 'list orders'));
    },

    async prices(query) {
      const answer = (await transport.send({
        path: '/guest/prices',
        query: { country: query.country, product: query.product },
        write: false,
        auth: false,
        what: 'prices',
      })) as WirePrices;
      // An unknown pair may come back as null (§B.2).
      const operators = answer?.[query.country]?.[query.product] ?? {};
      if (typeof operators !== 'object') {
        throw new FiveSimError('server_error', '5sim prices: unexpected response shape');
      }
      return Object.entries(operators)
        .filter(([, o]) => o && typeof o.cost === 'number' && typeof o.count === 'number')
        .map(([operator, o]) => ({
          operator,
          priceCents: unitsToCents(o.cost, centsPerUnit),
          count: o.count,
          rate: typeof o.rate === 'number' ? o.rate : null,
        }))
        .sort((a, b) => a.priceCents - b.priceCents || b.count - a.count);
    },

    async getBalance() {
      const profile = (await transport.send({
        path: '/user/profile',
        write: false,
        auth: true,
        what: 'profile',
      })) as Partial<WireProfile> | null;
      if (!profile || typeof profile.balance !== 'number') {
        throw new FiveSimError('server_error', '5sim profile: unexpected response shape');
      }
      return Math.floor(Math.round(profile.balance * centsPerUnit * 1e6) / 1e6);
    },

    circuitState: transport.circuitState,
  };
}
