/**
 * TextVerified API v2 client (contract §A). The only place Namaskah talks to TextVerified.
 *
 * - Auth: `POST /api/pub/v2/auth` with `X-API-KEY`/`X-API-USERNAME`; the bearer token is cached
 *   until shortly before it expires, concurrent callers share one in-flight auth, and a 401 on a
 *   call re-authenticates once and repeats that call.
 * - Resilience (cockatiel): every attempt has a timeout; reads (GETs, pricing, inventory, auth) are
 *   retried with exponential backoff + jitter on 429/5xx/timeout/network; writes (create, cancel,
 *   report) are never retried — a timeout/network error/5xx there is surfaced with
 *   `ambiguous: true`. A consecutive-failure circuit breaker fails fast while the provider is down.
 * - Money: provider decimal dollars become integer cents here, once.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  type CircuitBreakerPolicy,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel';
import { TextVerifiedError, errorFromResponse } from './errors.js';
import { mapSms, mapVerification, mapVerificationSummary } from './mapping.js';
import { decimalToMinorUnits, minorUnitsToDecimalNumber } from '../../platform/money.js';
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
  WireBearerToken,
  WireError,
  WireLink,
  WirePaginated,
  WireService,
  WireSms,
  WireVerificationCompact,
  WireVerificationExpanded,
} from './types.js';
import { parseWebhookEvent, verifyWebhookSignature } from './webhook.js';

const API_PREFIX = '/api/pub/v2';
const TOKEN_REFRESH_MARGIN_MS = 60_000;
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
  /** Injected fetch (default the global one). */
  fetch?: typeof globalThis.fetch;
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

interface Operation {
  method: 'GET' | 'POST';
  /** Absolute URL. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Not safe to repeat: never retried, failures that may have applied are `ambiguous`. */
  write: boolean;
  /** Needs the bearer token. */
  auth: boolean;
  /** For messages, e.g. "create verification". */
  what: string;
}

interface RawResponse {
  status: number;
  headers: Headers;
  json: unknown;
}

interface CachedToken {
  token: string;
  refreshAtMs: number;
  /** Increases with every auth, so a 401 only drops the token that was actually refused. */
  generation: number;
}

export function createTextVerifiedClient(options: TextVerifiedClientOptions): TextVerifiedClient {
  const origin = new URL(options.baseUrl);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const nowMs = () => (options.now ? options.now().getTime() : Date.now());
  const timeoutMs = options.timeoutMs ?? 10_000;

  const timeoutPolicy: TimeoutPolicy = timeout(timeoutMs, {
    strategy: TimeoutStrategy.Aggressive,
    abortOnReturn: false,
  });
  const breaker: CircuitBreakerPolicy = circuitBreaker(
    handleWhen(
      (e) =>
        e instanceof TextVerifiedError &&
        (e.kind === 'server_error' || e.kind === 'timeout' || e.kind === 'network'),
    ),
    {
      halfOpenAfter: options.circuitBreaker?.halfOpenAfterMs ?? 30_000,
      breaker: new ConsecutiveBreaker(options.circuitBreaker?.consecutiveFailures ?? 5),
    },
  );
  const readRetry: RetryPolicy = retry(
    handleWhen((e) => e instanceof TextVerifiedError && e.transient),
    {
      maxAttempts: options.retry?.retries ?? 3,
      backoff: new ExponentialBackoff({
        initialDelay: options.retry?.initialDelayMs ?? 500,
        maxDelay: options.retry?.maxDelayMs ?? 8_000,
      }),
    },
  );

  const url = (path: string, query?: Record<string, string | undefined>) => {
    const target = new URL(`${API_PREFIX}${path}`, origin);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) target.searchParams.set(k, v);
    return target.toString();
  };

  /**
   * Links from the provider are absolute; we only ever follow their path+query on our own
   * configured origin, so a bearer token can never be sent to another host.
   */
  const followLink = (link: string | null | undefined, what: string): string => {
    if (!link) throw new TextVerifiedError('server_error', `TextVerified ${what}: missing link`);
    let parsed: URL;
    try {
      parsed = new URL(link, origin);
    } catch (cause) {
      throw new TextVerifiedError('server_error', `TextVerified ${what}: bad link ${link}`, { cause });
    }
    if (!parsed.pathname.startsWith(`${API_PREFIX}/`)) {
      throw new TextVerifiedError('server_error', `TextVerified ${what}: unexpected link ${link}`);
    }
    return new URL(`${parsed.pathname}${parsed.search}`, origin).toString();
  };

  async function attempt(
    op: Operation,
    token: string | undefined,
    signal: AbortSignal,
  ): Promise<RawResponse> {
    const headers: Record<string, string> = { Accept: 'application/json', ...op.headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (op.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(op.body);
    }
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(op.url, { method: op.method, headers, body, signal, redirect: 'manual' });
      text = await response.text();
    } catch (cause) {
      if (signal.aborted) throw cause; // the timeout policy reports this one
      const code = (cause as { cause?: { code?: unknown } }).cause?.code;
      // A refused connection never reached the provider, so it cannot have taken effect.
      const refused = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
      throw new TextVerifiedError(
        'network',
        `TextVerified ${op.what}: network error (${String(code ?? (cause as Error).message)})`,
        {
          ambiguous: op.write && !refused,
          cause,
        },
      );
    }
    let json: unknown = null;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    if (response.status >= 300) {
      const errorBody = json && typeof json === 'object' ? (json as Partial<WireError>) : null;
      throw errorFromResponse(response.status, errorBody, { write: op.write, what: op.what });
    }
    return { status: response.status, headers: response.headers, json };
  }

  async function guarded(op: Operation, token: string | undefined): Promise<RawResponse> {
    try {
      return await breaker.execute(async () => {
        try {
          return await timeoutPolicy.execute(({ signal }) => attempt(op, token, signal));
        } catch (error) {
          if (error instanceof TaskCancelledError) {
            throw new TextVerifiedError(
              'timeout',
              `TextVerified ${op.what}: no answer within ${timeoutMs} ms`,
              {
                ambiguous: op.write,
                cause: error,
              },
            );
          }
          throw error;
        }
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw new TextVerifiedError(
          'server_error',
          `TextVerified ${op.what}: circuit open, provider presumed down`,
          {
            circuitOpen: true,
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  const send = (op: Operation, token: string | undefined): Promise<RawResponse> =>
    op.write ? guarded(op, token) : readRetry.execute(() => guarded(op, token));

  // ---------- auth ----------
  let cached: CachedToken | null = null;
  let inflight: Promise<CachedToken> | null = null;
  let generation = 0;

  async function authenticate(): Promise<CachedToken> {
    const requestedAt = nowMs();
    const res = await send(
      {
        method: 'POST',
        url: url('/auth'),
        headers: { 'X-API-KEY': options.apiKey, 'X-API-USERNAME': options.username },
        write: false,
        auth: false,
        what: 'auth',
      },
      undefined,
    );
    const body = res.json as Partial<WireBearerToken> | null;
    if (!body || typeof body.token !== 'string' || body.token.length === 0) {
      throw new TextVerifiedError('server_error', 'TextVerified auth: no token in response');
    }
    let expiresAtMs = body.expiresAt ? new Date(body.expiresAt).getTime() : Number.NaN;
    if (Number.isNaN(expiresAtMs) && typeof body.expiresIn === 'number')
      expiresAtMs = requestedAt + body.expiresIn * 1000;
    if (Number.isNaN(expiresAtMs)) expiresAtMs = requestedAt + 5 * 60_000;
    const lifetime = Math.max(0, expiresAtMs - requestedAt);
    const margin = Math.min(TOKEN_REFRESH_MARGIN_MS, lifetime / 2);
    generation += 1;
    cached = { token: body.token, refreshAtMs: expiresAtMs - margin, generation };
    return cached;
  }

  function getToken(): Promise<CachedToken> {
    if (cached && nowMs() < cached.refreshAtMs) return Promise.resolve(cached);
    if (!inflight) {
      inflight = authenticate().finally(() => {
        inflight = null;
      });
    }
    return inflight;
  }

  async function request(op: Operation): Promise<RawResponse> {
    if (!op.auth) return send(op, undefined);
    const used = await getToken();
    try {
      return await send(op, used.token);
    } catch (error) {
      if (error instanceof TextVerifiedError && error.status === 401) {
        if (cached?.generation === used.generation) cached = null;
        return send(op, (await getToken()).token);
      }
      throw error;
    }
  }

  const getJson = async <T>(what: string, target: string): Promise<T> =>
    (await request({ method: 'GET', url: target, write: false, auth: true, what })).json as T;

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
      const link = (res.json as Partial<WireLink> | null)?.href ?? res.headers.get('location');
      let target: string;
      try {
        target = followLink(link, 'create verification');
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
          `TextVerified create verification: bought, but reading it back failed: ${(error as Error).message}`,
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

    circuitState() {
      switch (breaker.state) {
        case CircuitState.Open:
          return 'open';
        case CircuitState.HalfOpen:
          return 'half_open';
        case CircuitState.Isolated:
          return 'isolated';
        default:
          return 'closed';
      }
    },
  };
}
