/**
 * Two layers of types: `Wire*` mirror the TextVerified v2 JSON exactly (contract §A); the rest
 * are the normalized shapes the rest of Namaskah uses (cents, Dates, our state names).
 */

export type NumberType = 'mobile' | 'voip' | 'landline';
export type ReservationType = 'renewable' | 'nonrenewable' | 'verification';
export type Capability = 'sms' | 'voice' | 'smsAndVoiceCombo';

// ---------- wire (provider JSON) ----------

export interface WireLink {
  method: string | null;
  href: string | null;
}

export interface WireBearerToken {
  token: string;
  expiresIn?: number;
  expiresAt?: string;
}

export interface WireService {
  serviceName: string;
  description: string | null;
  capability: Capability;
}

export interface WireAreaCode {
  areaCode: string;
  state: string;
}

export interface WireVerificationExpanded {
  id: string;
  number: string;
  serviceName: string;
  state: string;
  totalCost: number;
  createdAt: string;
  endsAt: string;
  sms: WireLink;
  calls: WireLink;
  sale: WireLink;
  cancel: { canCancel: boolean; link: WireLink };
  report: { canReport: boolean; link: WireLink };
  reuse: { link: WireLink; reusableUntil: string | null };
  reactivate: { canReactivate: boolean; link: WireLink };
}

export interface WireSms {
  id: string;
  from: string | null;
  to: string;
  createdAt: string;
  smsContent: string | null;
  parsedCode: string | null;
  encrypted: boolean;
}

export interface WirePaginated<T> {
  data: T[];
  hasNext: boolean;
  hasPrevious: boolean;
  count: number;
  links: { current: WireLink | null; previous: WireLink | null; next: WireLink | null };
}

export interface WireError {
  errorCode: string | null;
  errorDescription: string | null;
}

// ---------- normalized ----------

/** Our names for `ReservationState`; anything unexpected becomes `unknown` (the raw value is kept). */
export type VerificationState =
  | 'pending'
  | 'completed'
  | 'canceled'
  | 'timed_out'
  | 'reported'
  | 'refunded'
  | 'reused'
  | 'reactivated'
  | 'unknown';

export interface TextVerifiedService {
  serviceName: string;
  /** `description` from the provider, or the service name when it is null. */
  displayName: string;
  capability: Capability;
}

export interface TextVerifiedAreaCode {
  areaCode: string;
  state: string;
}

export interface TextVerifiedPrice {
  serviceName: string;
  priceCents: number;
}

export interface TextVerifiedVerification {
  id: string;
  /** As the provider gives it (10-digit US, no `+1`). */
  number: string;
  /** E.164 form (`+1` prepended to a 10-digit number). */
  e164: string;
  serviceName: string;
  state: VerificationState;
  rawState: string;
  totalCostCents: number;
  createdAt: Date;
  endsAt: Date;
  canCancel: boolean;
  canReport: boolean;
  canReactivate: boolean;
  reusableUntil: Date | null;
  links: {
    sms: string | null;
    calls: string | null;
    sale: string | null;
    cancel: string | null;
    report: string | null;
  };
}

/** One row of `GET /verifications` (VerificationCompact). */
export interface TextVerifiedVerificationSummary {
  id: string;
  number: string;
  serviceName: string;
  state: VerificationState;
  rawState: string;
  totalCostCents: number;
  createdAt: Date;
}

export interface WireVerificationCompact {
  id: string;
  createdAt: string;
  link: WireLink;
  serviceName: string;
  state: string;
  totalCost: number;
  number: string;
  sms: WireLink;
  calls: WireLink;
}

export interface TextVerifiedSms {
  id: string;
  from: string | null;
  to: string;
  createdAt: Date;
  text: string | null;
  parsedCode: string | null;
  encrypted: boolean;
}

export interface CreateVerificationInput {
  serviceName: string;
  capability: Capability;
  areaCodes?: string[];
  carriers?: string[];
  /** Refuse (PricingFailure) if the provider's price is above this. */
  maxPriceCents?: number;
  /** Only with serviceName `servicenotlisted` / `servicenotlistedvoice`. */
  serviceNotListedName?: string;
}

export interface PriceVerificationInput {
  serviceName: string;
  /** A specific area code will be requested. */
  areaCode?: boolean;
  /** A specific carrier will be requested. */
  carrier?: boolean;
  /** Defaults like the official SDK: `voip` for voice, else `mobile`. */
  numberType?: NumberType;
  capability?: Capability;
}

export interface InventoryInput {
  serviceName: string;
  capability?: Capability;
  numberType?: NumberType;
}

// ---------- webhooks ----------

export interface TextVerifiedWebhookSms {
  from: string | null;
  to: string | null;
  createdAt: Date | null;
  text: string | null;
  parsedCode: string | null;
  encrypted: boolean;
  reservationId: string | null;
}

interface WebhookEnvelope {
  /** Event id from the envelope (null if absent). */
  id: string | null;
  /** The raw event name, e.g. `v2.sms.received`. */
  event: string;
  occurredAt: Date | null;
  attempt: number;
  /** Delivery dedupe key: `idempotencyKey`, else `id`. */
  dedupeKey: string | null;
  idempotencyKey: string | null;
}

export type TextVerifiedWebhookEvent =
  | (WebhookEnvelope & { type: 'sms.received'; sms: TextVerifiedWebhookSms })
  | (WebhookEnvelope & {
      type: 'reservation.created';
      reservation: { id: string | null; type: string | null };
    })
  | (WebhookEnvelope & { type: 'other'; data: unknown });
