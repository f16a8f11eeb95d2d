/**
 * Two layers of types: `Wire*` mirror the 5sim JSON (contract §B.2); the rest are the normalized
 * shapes Namaskah uses (cents, Dates, our state names).
 */

// ---------- wire (provider JSON) ----------

export interface WireSms {
  id?: number | string;
  created_at: string;
  date?: string;
  sender: string | null;
  text: string | null;
  code: string | null;
}

export interface WireOrder {
  id: number;
  phone: string;
  operator: string;
  product: string;
  price: number;
  status: string;
  expires: string;
  sms: WireSms[] | null;
  created_at: string;
  forwarding?: boolean;
  forwarding_number?: string;
  country: string;
}

export interface WireProfile {
  id: number;
  email: string;
  balance: number;
  rating: number;
  frozen_balance?: number;
}

/** `/guest/prices?country=&product=`: `{country: {product: {operator: {cost, count, rate?}}}}`. */
export type WirePrices = Record<
  string,
  Record<string, Record<string, { cost: number; count: number; rate?: number }>> | null
> | null;

// ---------- normalized ----------

/** §B.2 statuses; `received` means "the number is allocated and collecting SMS", not "code received". */
export type OrderStatus = 'pending' | 'received' | 'canceled' | 'timeout' | 'finished' | 'banned' | 'unknown';

export interface FiveSimSms {
  /** The provider's id when it sends one (not documented for activations). */
  id: string | null;
  createdAt: Date;
  sender: string | null;
  text: string | null;
  /** The code 5sim extracted; null when it found none (it sends ""). */
  code: string | null;
}

export interface FiveSimOrder {
  id: string;
  /** E.164, as 5sim sends it ("+1…"). */
  phone: string;
  operator: string;
  product: string;
  country: string;
  priceCents: number;
  status: OrderStatus;
  rawStatus: string;
  createdAt: Date;
  expiresAt: Date;
  sms: FiveSimSms[];
}

export interface FiveSimOffer {
  operator: string;
  priceCents: number;
  count: number;
  /** Delivery rate in %, when 5sim publishes one. */
  rate: number | null;
}

export interface BuyActivationInput {
  /** 5sim country name, e.g. `usa`. */
  country: string;
  /** `any` (default) lets 5sim pick; `maxPriceCents` only applies with `any`. */
  operator?: string;
  product: string;
  maxPriceCents?: number;
  /**
   * Buy with the ability to reuse the number later (`reuse=1`, §B.2): 5sim re-sells a number
   * through `/user/reuse` only when its purchase asked for this.
   */
  reuse?: boolean;
}
