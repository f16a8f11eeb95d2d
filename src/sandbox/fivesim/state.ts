/**
 * The 5sim sandbox's account and orders: buying (cheapest operator with stock within maxPrice),
 * SMS on a delay or on command, cancel / ban / finish, the 15-minute window, the balance, and
 * reuse of a number (see `reuse` for the rules this sandbox assumes).
 */
import { type Catalogue, type OperatorOffer, COUNTRIES, makeCode, smsTextFor } from './catalog.js';

/** A refusal 5sim answers in plain text (§B.3). */
export class FiveSimSandboxError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(text);
  }
}

export interface SandboxSms {
  id: number;
  createdAt: Date;
  sender: string;
  text: string;
  code: string;
}

export type OrderStatus = 'PENDING' | 'RECEIVED' | 'CANCELED' | 'TIMEOUT' | 'FINISHED' | 'BANNED';

export interface SandboxOrder {
  id: number;
  phone: string;
  operator: string;
  product: string;
  country: string;
  priceCents: number;
  status: OrderStatus;
  createdAt: Date;
  expires: Date;
  sms: SandboxSms[];
  /** Bought with `reuse=1` (or itself a reuse): its number may be bought again. */
  reusable: boolean;
  /** Set at the first SMS: until then the number can be bought again (`reuseWindowMs`). */
  reuseUntil: Date | null;
}

export interface SandboxStateOptions {
  now: () => Date;
  random: () => number;
  smsDelayMs: number;
  orderTtlMs: number;
  /** How long after its first SMS a reusable number can be bought again. */
  reuseWindowMs: number;
  balanceCents: number;
  catalogue: Catalogue;
  /** The HTTP status `no free phones` comes with (5sim has been seen answering it with a 200). */
  noFreePhonesStatus: number;
}

const FINAL: readonly OrderStatus[] = ['CANCELED', 'TIMEOUT', 'FINISHED', 'BANNED'];

export class SandboxState {
  readonly orders = new Map<number, SandboxOrder>();
  balanceCents: number;
  buyLatencyMs = 0;
  // From the clock, as 5sim's own ids only grow: a sandbox started again on the same database
  // (the embedded default after a restart) never hands out an order id an earlier run gave.
  private nextId = Date.now() * 100;
  private nextSmsId = Date.now() * 100;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly opts: SandboxStateOptions) {
    this.balanceCents = opts.balanceCents;
  }

  get catalogue(): Catalogue {
    return this.opts.catalogue;
  }

  private later(ms: number, run: () => void) {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private phoneFor(country: string): string {
    const prefix = COUNTRIES[country]?.prefix ?? '+1';
    let digits = String(2 + Math.floor(this.opts.random() * 8));
    for (let i = 0; i < 9; i++) digits += String(Math.floor(this.opts.random() * 10));
    return `${prefix}${digits}`;
  }

  buy(
    country: string,
    operator: string,
    product: string,
    maxPriceCents: number | null,
    opts: { reuse?: boolean } = {},
  ): SandboxOrder {
    const products = this.catalogue.get(country);
    if (!products) throw new FiveSimSandboxError(400, 'bad country');
    const operators = products.get(product);
    if (!operators) throw new FiveSimSandboxError(400, 'no product');
    let chosen: [string, OperatorOffer] | undefined;
    if (operator === 'any') {
      chosen = [...operators.entries()]
        .filter(([, o]) => o.count > 0 && (maxPriceCents === null || o.priceCents <= maxPriceCents))
        .sort(([, a], [, b]) => a.priceCents - b.priceCents)[0];
    } else {
      const offer = operators.get(operator);
      if (!offer) throw new FiveSimSandboxError(400, 'bad operator');
      if (offer.count > 0) chosen = [operator, offer];
    }
    if (!chosen) throw new FiveSimSandboxError(this.opts.noFreePhonesStatus, 'no free phones');
    const [name, offer] = chosen;
    if (this.balanceCents < offer.priceCents) throw new FiveSimSandboxError(400, 'not enough user balance');
    this.balanceCents -= offer.priceCents;
    offer.count -= 1;
    return this.open({
      phone: this.phoneFor(country),
      operator: name,
      product,
      country,
      priceCents: offer.priceCents,
      reusable: opts.reuse === true,
    });
  }

  /** A new order, allocated at once: RECEIVED means "waiting for the SMS" (§B.2). */
  private open(
    fields: Pick<SandboxOrder, 'phone' | 'operator' | 'product' | 'country' | 'priceCents' | 'reusable'>,
  ): SandboxOrder {
    const now = this.opts.now();
    const order: SandboxOrder = {
      ...fields,
      id: this.nextId++,
      status: 'RECEIVED',
      createdAt: now,
      expires: new Date(now.getTime() + this.opts.orderTtlMs),
      sms: [],
      reuseUntil: null,
    };
    this.orders.set(order.id, order);
    this.later(this.opts.smsDelayMs, () => {
      if (order.status === 'RECEIVED' && order.sms.length === 0) this.deliverSms(order.id);
    });
    this.later(this.opts.orderTtlMs, () => this.refresh(order));
    return order;
  }

  /**
   * `/user/reuse/{product}/{number}` (§B.2). 5sim documents the call and its three refusals but not
   * the rules; this sandbox assumes (docs/reuse.md):
   * - the number is this account's, bought for `product` (else `reuse not possible`);
   * - its latest order was bought with `reuse=1` or is itself a reuse (else `reuse false`);
   * - that order received an SMS and is finished — not still open, canceled or banned (else
   *   `reuse not possible`): an open order still holds the number, so of two reuses at once one wins;
   * - within `reuseWindowMs` of that order's first SMS (else `reuse expired`);
   * - charged the operator's current price for the product (no stock needed: the number is ours),
   *   `not enough user balance` otherwise.
   * The new order has its own id, the same number, and lives like a purchase (SMS on the delay or
   * on command, the same window); once finished with an SMS it can be reused in turn.
   */
  reuse(product: string, number: string): SandboxOrder {
    if (!/^\d{4,15}$/.test(number)) throw new FiveSimSandboxError(400, 'reuse not possible');
    const latest = [...this.orders.values()]
      .filter((o) => o.phone === `+${number}` && o.product === product)
      .sort((a, b) => b.id - a.id)[0];
    if (!latest) throw new FiveSimSandboxError(400, 'reuse not possible');
    this.refresh(latest);
    if (!latest.reusable) throw new FiveSimSandboxError(400, 'reuse false');
    if (latest.status !== 'FINISHED' || !latest.reuseUntil) {
      throw new FiveSimSandboxError(400, 'reuse not possible');
    }
    if (this.opts.now().getTime() >= latest.reuseUntil.getTime()) {
      throw new FiveSimSandboxError(400, 'reuse expired');
    }
    const offer = this.catalogue.get(latest.country)?.get(product)?.get(latest.operator);
    const priceCents = offer?.priceCents ?? latest.priceCents;
    if (this.balanceCents < priceCents) throw new FiveSimSandboxError(400, 'not enough user balance');
    this.balanceCents -= priceCents;
    // The old order's window is spent: the number now belongs to the new order.
    latest.reuseUntil = null;
    return this.open({
      phone: latest.phone,
      operator: latest.operator,
      product,
      country: latest.country,
      priceCents,
      reusable: true,
    });
  }

  /** Ends an order's reuse window now (`reuse expired` afterwards). */
  endReuseWindow(id: number): SandboxOrder {
    const order = this.get(id);
    if (order.reuseUntil) order.reuseUntil = this.opts.now();
    return order;
  }

  /** The order with its window applied: past `expires`, TIMEOUT (refunded) or FINISHED (had SMS). */
  refresh(order: SandboxOrder): SandboxOrder {
    if (!FINAL.includes(order.status) && this.opts.now().getTime() >= order.expires.getTime()) {
      if (order.sms.length === 0) {
        order.status = 'TIMEOUT';
        this.balanceCents += order.priceCents;
      } else order.status = 'FINISHED';
    }
    return order;
  }

  get(id: number): SandboxOrder {
    const order = this.orders.get(id);
    if (!order) throw new FiveSimSandboxError(400, 'order not found');
    return this.refresh(order);
  }

  deliverSms(id: number, opts: { text?: string; code?: string; sender?: string } = {}): SandboxSms {
    const order = this.get(id);
    if (order.status !== 'RECEIVED' && order.status !== 'PENDING') {
      throw new FiveSimSandboxError(400, `order is ${order.status}`);
    }
    const code = opts.code ?? makeCode(this.opts.random);
    const sms: SandboxSms = {
      id: this.nextSmsId++,
      createdAt: this.opts.now(),
      sender: opts.sender ?? order.product,
      text: opts.text ?? smsTextFor(order.product, code),
      code: opts.text !== undefined && opts.code === undefined ? '' : code,
    };
    if (order.sms.length === 0) {
      order.reuseUntil = new Date(sms.createdAt.getTime() + this.opts.reuseWindowMs);
    }
    order.sms.push(sms);
    return sms;
  }

  cancel(id: number): SandboxOrder {
    const order = this.get(id);
    if (order.status === 'CANCELED') return order;
    if (order.sms.length > 0) throw new FiveSimSandboxError(400, 'order has sms');
    if (FINAL.includes(order.status)) throw new FiveSimSandboxError(400, 'order not found');
    order.status = 'CANCELED';
    this.balanceCents += order.priceCents;
    return order;
  }

  ban(id: number): SandboxOrder {
    const order = this.get(id);
    if (order.status === 'BANNED') return order;
    if (FINAL.includes(order.status)) throw new FiveSimSandboxError(400, 'order not found');
    order.status = 'BANNED';
    // A number that never received an SMS is refunded, like a cancel.
    if (order.sms.length === 0) this.balanceCents += order.priceCents;
    return order;
  }

  finish(id: number): SandboxOrder {
    const order = this.get(id);
    if (order.status === 'FINISHED') return order;
    if (FINAL.includes(order.status)) throw new FiveSimSandboxError(400, 'order not found');
    if (order.sms.length === 0) throw new FiveSimSandboxError(400, 'order no sms');
    order.status = 'FINISHED';
    return order;
  }

  /** Ends the window now. */
  expire(id: number): SandboxOrder {
    const order = this.get(id);
    order.expires = this.opts.now();
    return this.refresh(order);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
