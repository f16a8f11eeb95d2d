/**
 * TextVerified API v2 client (contract §A). The only place Namaskah talks to TextVerified.
 *
 * - Auth (auth.ts): a cached bearer token, re-authenticated once on a 401.
 * - Resilience (transport.ts, cockatiel): a timeout per attempt, retried reads, never-retried
 *   writes (failures that may have applied are `ambiguous`), a circuit breaker.
 * - Money: provider decimal dollars become integer cents here, once.
 */
import { createAuthenticatedRequest } from './auth.js';
import { TextVerifiedError } from './errors.js';
import { mapSms, mapVerification, mapVerificationSummary } from './mapping.js';
import { decimalToMinorUnits, minorUnitsToDecimalNumber } from '../../platform/money.js';
import { createTransport, type RawResponse, type TransportOptions } from './transport.js';
import type {
  Capability,
  CreateVerificationInput,
  InventoryInput,
  NumberType,
  PriceVerificationInput,
  ReservationType,
  TextVerifiedAreaCode,
  TextVerifiedPrice,
  TextVerifiedService,
  TextVerifiedSms,
  TextVerifiedVerification,
  TextVerifiedVerificationSummary,
  TextVerifiedWebhookEvent,
  WireAreaCode,
  WireLink,
  WirePaginated,
  WireService,
  WireSms,
  WireVerificationCompact,
  WireVerificationExpanded,
} from './types.js';
import { parseWebhookEvent, verifyWebhookSignature } from './webhook.js';

const MAX_PAGES = 100;

export interface TextVerifiedClientOptions {
  /** e.g. `https://www.textverified.com` or the sandbox `url`. */
  baseUrl: string;
  apiKey: string;
  /** The account e-mail. */
  username: string;
  /** Per-attempt timeout (default 10 000 ms). */
  timeoutMs?: number;
  /** Clock for token expiry (default `new Date()`). */
  now?: () => Date;
  /** Read retries (default 3 retries, 500 ms initial, 8 s max, decorrelated jitter). */
  retry?: { retries?: number; initialDelayMs?: number; maxDelayMs?: number };
  /** Breaker: opens after N consecutive transient failures (default 5), half-opens after 30 s. */
  circuitBreaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  /** How requests are sent (default undici on a keep-alive agent); tests wrap it to watch calls. */
  send?: TransportOptions['send'];
}

export interface TextVerifiedClient {
  listServices(query?: {
    numberType?: NumberType;
    reservationType?: ReservationType;
  }): Promise<TextVerifiedService[]>;
  listAreaCodes(): Promise<TextVerifiedAreaCode[]>;
  priceVerification(input: PriceVerificationInput): Promise<TextVerifiedPrice>;
  /** Available numbers (the provider caps the figure at 9000). */
  inventory(input: InventoryInput): Promise<number>;
  /** Buys a number. Never retried: on `ambiguous` errors, reconcile (retry later with the SAME key). */
  createVerification(
    input: CreateVerificationInput,
    opts: { idempotencyKey: string },
  ): Promise<TextVerifiedVerification>;
  getVerification(id: string): Promise<TextVerifiedVerification>;
  /** Every verification on the account (newest first), following `links.next`; for reconciliation. */
  listVerifications(): Promise<TextVerifiedVerificationSummary[]>;
  /** All SMS of a reservation, following `links.next`. */
  listSms(query: { reservationId: string; to?: string }): Promise<TextVerifiedSms[]>;
  cancelVerification(id: string): Promise<void>;
  reportVerification(id: string): Promise<void>;
  /**
   * Buys the same number again for a new verification, shortly after a completed one
   * (`reusableUntil`). A new verification id. Never retried (no idempotency key on this call):
   * `not_eligible` when the provider refuses; `ambiguous` failures are reconciled by listing.
   */
  reuseVerification(id: string): Promise<TextVerifiedVerification>;
  /** Reactivates a completed verification whose reuse window has passed (`canReactivate`). As reuse. */
  reactivateVerification(id: string): Promise<TextVerifiedVerification>;
  /** Account balance in cents (rounded down). */
  getBalance(): Promise<number>;
  verifyWebhookSignature(
    rawBody: Buffer | string,
    header: string | string[] | undefined | null,
    secret: string,
  ): boolean;
  parseWebhookEvent(rawBody: Buffer | string): TextVerifiedWebhookEvent;
  /** For health pages: the breaker's state. */
  circuitState(): 'closed' | 'open' | 'half_open' | 'isolated';
}

export function createTextVerifiedClient(options: TextVerifiedClientOptions): TextVerifiedClient {
  const transport = createTransport(options);
  const { url, followLink } = transport;
  const { request, getJson } = createAuthenticatedRequest(transport, options);

  const expectShape = <T>(value: T | null | undefined, what: string, ok: (v: T) => boolean): T => {
    if (value === null || value === undefined || !ok(value)) {
      throw new TextVerifiedError('server_error', `TextVerified ${what}: unexpected response shape`);
    }
    return value;
  };

  const defaultNumberType = (capability: Capability | undefined): NumberType =>
    capability === 'voice' ? 'voip' : 'mobile';

  async function collectPages<W, T>(first: string, what: string, map: (w: W) => T): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    let next: string | null = first;
    while (next && !seen.has(next) && seen.size < MAX_PAGES) {
      seen.add(next);
      const page: WirePaginated<W> = expectShape(await getJson<WirePaginated<W>>(what, next), what, (p) =>
        Array.isArray(p.data),
      );
      out.push(...page.data.map(map));
      const href = page.links?.next?.href;
      next = href && page.hasNext !== false ? followLink(href, what) : null;
    }
    return out;
  }

  async function getVerificationAt(target: string): Promise<TextVerifiedVerification> {
    const wire = expectShape(
      await getJson<WireVerificationExpanded>('get verification', target),
      'get verification',
      (v) => typeof v.id === 'string',
    );
    return mapVerification(wire);
  }

  /**
   * A 2xx that created a verification (create, reuse, reactivate) answers with a `Link` and a
   * `Location`: read the new verification back. Something was bought, so a failure to read it is
   * `ambiguous` (with the id when the link named it).
   */
  async function readBackCreated(res: RawResponse, what: string): Promise<TextVerifiedVerification> {
    const link = (res.json as Partial<WireLink> | null)?.href ?? res.header('location');
    let target: string;
    try {
      target = followLink(link, what);
    } catch (error) {
      // It answered 2xx, so something was bought; we just cannot tell what.
      throw new TextVerifiedError('server_error', (error as Error).message, {
        ambiguous: true,
        cause: error,
      });
    }
    try {
      return await getVerificationAt(target);
    } catch (error) {
      const e = error instanceof TextVerifiedError ? error : null;
      throw new TextVerifiedError(
        e?.kind ?? 'server_error',
        `TextVerified ${what}: bought, but reading it back failed: ${(error as Error).message}`,
        {
          status: e?.status,
          errorCode: e?.errorCode,
          errorDescription: e?.errorDescription,
          ambiguous: true,
          verificationId: decodeURIComponent(new URL(target).pathname.split('/').pop() ?? ''),
          cause: error,
        },
      );
    }
  }

  /**
   * Reuse / reactivate: the provider answers 400 (an `Error` whose code the contract does not name)
   * when the verification is not eligible; that becomes `not_eligible`. Documented codes
   * (InsufficientBalance, Unavailable…) keep their own kind.
   */
  async function renew(id: string, action: 'reuse' | 'reactivate'): Promise<TextVerifiedVerification> {
    const what = `${action} verification`;
    let res: RawResponse;
    try {
      res = await request({
        method: 'POST',
        url: url(`/verifications/${encodeURIComponent(id)}/${action}`),
        write: true,
        auth: true,
        what,
      });
    } catch (error) {
      if (error instanceof TextVerifiedError && error.kind === 'bad_request' && error.status === 400) {
        throw new TextVerifiedError('not_eligible', error.message, {
          status: error.status,
          errorCode: error.errorCode,
          errorDescription: error.errorDescription,
          cause: error,
        });
      }
      throw error;
    }
    return readBackCreated(res, what);
  }

  return {
    async listServices(query = {}) {
      const list = await getJson<WireService[]>(
        'list services',
        url('/services', {
          numberType: query.numberType ?? 'mobile',
          reservationType: query.reservationType ?? 'verification',
        }),
      );
      return expectShape(list, 'list services', Array.isArray).map((s) => ({
        serviceName: s.serviceName,
        displayName: s.description ?? s.serviceName,
        capability: s.capability,
      }));
    },

    async listAreaCodes() {
      const list = await getJson<WireAreaCode[]>('list area codes', url('/area-codes'));
      return expectShape(list, 'list area codes', Array.isArray).map((a) => ({
        areaCode: a.areaCode,
        state: a.state,
      }));
    },

    async priceVerification(input) {
      const capability = input.capability ?? 'sms';
      const res = await request({
        method: 'POST',
        url: url('/pricing/verifications'),
        body: {
          serviceName: input.serviceName,
          areaCode: input.areaCode ?? false,
          carrier: input.carrier ?? false,
          numberType: input.numberType ?? defaultNumberType(capability),
          capability,
        },
        write: false,
        auth: true,
        what: 'price verification',
      });
      const body = expectShape(
        res.json as { serviceName?: string; price?: number } | null,
        'price verification',
        (b) => typeof b.price === 'number',
      );
      return {
        serviceName: body.serviceName ?? input.serviceName,
        priceCents: decimalToMinorUnits(body.price ?? 0, 'up'),
      };
    },

    async inventory(input) {
      const capability = input.capability ?? 'sms';
      const res = await request({
        method: 'POST',
        url: url('/inventory/verifications'),
        body: {
          serviceName: input.serviceName,
          capability,
          numberType: input.numberType ?? defaultNumberType(capability),
        },
        write: false,
        auth: true,
        what: 'inventory',
      });
      const body = expectShape(
        res.json as { availableQuantity?: number } | null,
        'inventory',
        (b) => typeof b.availableQuantity === 'number',
      );
      return body.availableQuantity ?? 0;
    },

    async createVerification(input, opts) {
      const key = opts.idempotencyKey.trim();
      if (key.length < 1 || key.length > 256) {
        throw new TextVerifiedError('bad_request', 'Idempotency-Key must be 1–256 characters');
      }
      const body: Record<string, unknown> = { serviceName: input.serviceName, capability: input.capability };
      if (input.areaCodes?.length) body.areaCodeSelectOption = input.areaCodes;
      if (input.carriers?.length) body.carrierSelectOption = input.carriers;
      if (input.serviceNotListedName) body.serviceNotListedName = input.serviceNotListedName;
      if (input.maxPriceCents !== undefined) body.maxPrice = minorUnitsToDecimalNumber(input.maxPriceCents);
      const res = await request({
        method: 'POST',
        url: url('/verifications'),
        body,
        headers: { 'Idempotency-Key': key },
        write: true,
        auth: true,
        what: 'create verification',
      });
      return readBackCreated(res, 'create verification');
    },

    getVerification(id) {
      return getVerificationAt(url(`/verifications/${encodeURIComponent(id)}`));
    },

    listSms(query) {
      return collectPages<WireSms, TextVerifiedSms>(
        url('/sms', { reservationId: query.reservationId, to: query.to }),
        'list sms',
        mapSms,
      );
    },

    listVerifications() {
      return collectPages<WireVerificationCompact, TextVerifiedVerificationSummary>(
        url('/verifications'),
        'list verifications',
        mapVerificationSummary,
      );
    },

    async cancelVerification(id) {
      await request({
        method: 'POST',
        url: url(`/verifications/${encodeURIComponent(id)}/cancel`),
        write: true,
        auth: true,
        what: 'cancel verification',
      });
    },

    async reportVerification(id) {
      await request({
        method: 'POST',
        url: url(`/verifications/${encodeURIComponent(id)}/report`),
        write: true,
        auth: true,
        what: 'report verification',
      });
    },

    reuseVerification: (id) => renew(id, 'reuse'),
    reactivateVerification: (id) => renew(id, 'reactivate'),

    async getBalance() {
      const me = expectShape(
        await getJson<{ currentBalance?: number }>('get balance', url('/account/me')),
        'get balance',
        (m) => typeof m.currentBalance === 'number',
      );
      return decimalToMinorUnits(me.currentBalance ?? 0, 'down');
    },

    verifyWebhookSignature,
    parseWebhookEvent,

    circuitState: transport.circuitState,
  };
}
