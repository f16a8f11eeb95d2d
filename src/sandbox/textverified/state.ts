/**
 * The sandbox's in-memory TextVerified account: catalogue, stock, balance, verifications, SMS,
 * idempotency keys and timers. Pure state + rules; the HTTP layer is in server.ts.
 */
import { randomBytes } from 'node:crypto';
import { decimalToMinorUnits } from '../../platform/money.js';
import {
  AREA_CODES,
  AREA_CODE_SURCHARGE_CENTS,
  CARRIERS,
  CARRIER_SURCHARGE_CENTS,
  MOCK_PRICE_CENTS,
  MOCK_SCENARIOS,
  defaultServices,
  makeCode,
  type SandboxService,
} from './catalog.js';
import type { WebhookSender } from './webhooks.js';

export type WireState =
  | 'verificationPending'
  | 'verificationCompleted'
  | 'verificationCanceled'
  | 'verificationTimedOut'
  | 'verificationReported';

export interface SandboxSms {
  id: string;
  from: string | null;
  to: string;
  createdAt: Date;
  smsContent: string | null;
  parsedCode: string | null;
  encrypted: boolean;
  reservationId: string;
}

export interface SandboxVerification {
  id: string;
  saleId: string;
  number: string;
  serviceName: string;
  capability: string;
  state: WireState;
  totalCostCents: number;
  /** What goes back to the balance on cancel/timeout (0 for mocks). */
  chargedCents: number;
  createdAt: Date;
  endsAt: Date;
  sms: SandboxSms[];
  mock: boolean;
  /** The fixed `mock_ver_*` ids: actions answer but do not persist, like the real test mode. */
  frozen: boolean;
  reusableUntil: Date | null;
  canReactivate: boolean;
  idempotencyKey: string | null;
}

/** A refusal in the provider's own terms: HTTP status + `Error` body. */
export class SandboxApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string | null,
    readonly errorDescription: string,
  ) {
    super(errorDescription);
    this.name = 'SandboxApiError';
  }
}

export interface CreateRequest {
  serviceName?: unknown;
  capability?: unknown;
  areaCodeSelectOption?: unknown;
  carrierSelectOption?: unknown;
  serviceNotListedName?: unknown;
  maxPrice?: unknown;
}

export interface SandboxStateOptions {
  now: () => Date;
  random: () => number;
  smsDelayMs: number;
  verificationTtlMs: number;
  delayedSuccessMs: number;
  balanceCents: number;
  maxUnfinished: number;
  webhooks: WebhookSender;
}

const CAPABILITIES = new Set(['sms', 'voice', 'smsAndVoiceCombo']);
const NUMBER_TYPES = new Set(['mobile', 'voip', 'landline']);

const bad = (description: string, code: string | null = null) => new SandboxApiError(400, code, description);

export class SandboxState {
  readonly services = new Map<string, SandboxService>();
  readonly verifications = new Map<string, SandboxVerification>();
  balanceCents: number;
  createLatencyMs = 0;
  private readonly idempotency = new Map<string, { state: 'in_flight' } | { state: 'done'; id: string }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly opts: SandboxStateOptions) {
    for (const service of defaultServices()) this.services.set(service.serviceName, service);
    this.balanceCents = opts.balanceCents;
    this.seedFixedMocks();
  }

  // ---------- ids, numbers, timers ----------

  private id(prefix: string): string {
    return `${prefix}${randomBytes(12).toString('hex')}`;
  }

  private randomNumber(areaCodes?: string[]): string {
    const pool = areaCodes?.length ? areaCodes : AREA_CODES.map((a) => a.areaCode);
    for (;;) {
      const area = pool[Math.floor(this.opts.random() * pool.length)] ?? '415';
      const exchange =
        String(2 + Math.floor(this.opts.random() * 8)) +
        String(Math.floor(this.opts.random() * 100)).padStart(2, '0');
      const line = String(Math.floor(this.opts.random() * 10_000)).padStart(4, '0');
      const number = `${area}${exchange}${line}`;
      const clash = [...this.verifications.values()].some(
        (v) => v.number === number && v.state === 'verificationPending',
      );
      if (!clash) return number;
    }
  }

  private schedule(delayMs: number, fn: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (!this.closed) fn();
      },
      Math.max(0, delayMs),
    );
    timer.unref();
    this.timers.add(timer);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  // ---------- catalogue ----------

  private service(name: unknown): SandboxService {
    if (typeof name !== 'string' || name.trim() === '') throw bad('serviceName is required.');
    const service = this.services.get(name.trim().toLowerCase());
    if (!service) throw bad(`Service '${name}' is not offered for verifications.`, 'InvalidServiceName');
    return service;
  }

  private checkCapability(service: SandboxService, capability: unknown): string {
    if (typeof capability !== 'string' || !CAPABILITIES.has(capability)) {
      throw bad('capability must be one of sms, voice, smsAndVoiceCombo.');
    }
    if (capability !== 'sms' && service.capability !== 'smsAndVoiceCombo') {
      throw bad(`Service '${service.serviceName}' does not support ${capability}.`, 'InvalidCapability');
    }
    return capability;
  }

  price(body: Record<string, unknown>): { serviceName: string; priceCents: number; mock: boolean } {
    const name = typeof body.serviceName === 'string' ? body.serviceName.trim().toLowerCase() : '';
    for (const field of ['areaCode', 'carrier'] as const) {
      if (typeof body[field] !== 'boolean') throw bad(`${field} is a required boolean.`);
    }
    if (typeof body.numberType !== 'string' || !NUMBER_TYPES.has(body.numberType))
      throw bad('numberType is required.');
    if (MOCK_SCENARIOS.has(name)) {
      this.checkCapabilityValue(body.capability);
      return { serviceName: name, priceCents: MOCK_PRICE_CENTS, mock: true };
    }
    const service = this.service(name);
    this.checkCapability(service, body.capability);
    if (body.numberType === 'landline') throw bad('Landline numbers are not offered for verifications.');
    const priceCents =
      service.priceCents +
      (body.areaCode === true ? AREA_CODE_SURCHARGE_CENTS : 0) +
      (body.carrier === true ? CARRIER_SURCHARGE_CENTS : 0);
    return { serviceName: service.serviceName, priceCents, mock: false };
  }

  private checkCapabilityValue(capability: unknown): void {
    if (typeof capability !== 'string' || !CAPABILITIES.has(capability)) {
      throw bad('capability must be one of sms, voice, smsAndVoiceCombo.');
    }
  }

  inventory(body: Record<string, unknown>): { availableQuantity: number; mock: boolean } {
    const name = typeof body.serviceName === 'string' ? body.serviceName.trim().toLowerCase() : '';
    if (MOCK_SCENARIOS.has(name))
      return { availableQuantity: name === 'test_no_numbers' ? 0 : 9000, mock: true };
    const service = this.service(name);
    this.checkCapability(service, body.capability ?? 'sms');
    return { availableQuantity: Math.min(9000, Math.max(0, service.stock)), mock: false };
  }

  // ---------- verifications ----------

  /** Lazily applies the timeout (so an injected clock works without timers). */
  refresh(v: SandboxVerification): SandboxVerification {
    if (v.state === 'verificationPending' && !v.frozen && this.opts.now().getTime() >= v.endsAt.getTime())
      this.timeOut(v);
    return v;
  }

  get(id: string): SandboxVerification {
    const v = this.verifications.get(id);
    if (!v) throw new SandboxApiError(404, 'NotFound', `Verification '${id}' was not found.`);
    return this.refresh(v);
  }

  list(): SandboxVerification[] {
    return [...this.verifications.values()]
      .map((v) => this.refresh(v))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  canCancel(v: SandboxVerification): boolean {
    return v.state === 'verificationPending' && v.sms.length === 0;
  }

  canReport(v: SandboxVerification): boolean {
    return v.state === 'verificationPending' || v.state === 'verificationCompleted';
  }

  /**
   * `POST /verifications`. Resolves to the verification and whether it was an idempotent replay.
   * A key still in flight → 409 IdempotencyConflict; a failed attempt frees its key.
   */
  async create(
    body: CreateRequest,
    idempotencyKey: string | null,
  ): Promise<{ verification: SandboxVerification; replay: boolean }> {
    if (idempotencyKey !== null) {
      const key = idempotencyKey.trim();
      if (key.length < 1 || key.length > 256) throw bad('Idempotency-Key must be 1-256 characters.');
      const prior = this.idempotency.get(key);
      if (prior?.state === 'in_flight') {
        throw new SandboxApiError(
          409,
          'IdempotencyConflict',
          'A request with this Idempotency-Key is still being processed.',
        );
      }
      if (prior?.state === 'done') {
        const existing = this.verifications.get(prior.id);
        if (existing) return { verification: this.refresh(existing), replay: true };
      }
      this.idempotency.set(key, { state: 'in_flight' });
      try {
        if (this.createLatencyMs > 0)
          await new Promise<void>((resolve) => this.schedule(this.createLatencyMs, resolve));
        const verification = this.createNow(body, key);
        this.idempotency.set(key, { state: 'done', id: verification.id });
        return { verification, replay: false };
      } catch (error) {
        this.idempotency.delete(key);
        throw error;
      }
    }
    if (this.createLatencyMs > 0)
      await new Promise<void>((resolve) => this.schedule(this.createLatencyMs, resolve));
    return { verification: this.createNow(body, null), replay: false };
  }

  private createNow(body: CreateRequest, idempotencyKey: string | null): SandboxVerification {
    const name = typeof body.serviceName === 'string' ? body.serviceName.trim().toLowerCase() : '';
    if (name === 'allservices') throw bad("'allservices' cannot be used for verifications.");
    let maxPriceCents: number | null = null;
    if (body.maxPrice !== undefined && body.maxPrice !== null) {
      if (typeof body.maxPrice !== 'number' || !Number.isFinite(body.maxPrice))
        throw bad('maxPrice must be a number.');
      maxPriceCents = decimalToMinorUnits(body.maxPrice);
    }
    const areaCodes = this.stringList(body.areaCodeSelectOption, 'areaCodeSelectOption');
    const carriers = this.stringList(body.carrierSelectOption, 'carrierSelectOption');
    if (MOCK_SCENARIOS.has(name))
      return this.createMock(name, body.capability, maxPriceCents, idempotencyKey);

    const service = this.service(name);
    const capability = this.checkCapability(service, body.capability);
    if (
      name.startsWith('servicenotlisted') &&
      (typeof body.serviceNotListedName !== 'string' || !body.serviceNotListedName.trim())
    ) {
      throw bad('serviceNotListedName is required with servicenotlisted.');
    }
    for (const code of areaCodes) {
      if (!/^\d{3}$/.test(code)) throw bad(`Invalid area code '${code}'.`);
    }
    const known = areaCodes.filter((code) => AREA_CODES.some((a) => a.areaCode === code));
    if (areaCodes.length > 0 && known.length === 0)
      throw bad('No numbers are available in the requested area codes.', 'Unavailable');
    for (const carrier of carriers) {
      if (!(CARRIERS as readonly string[]).includes(carrier)) throw bad(`Unknown carrier '${carrier}'.`);
    }
    const price =
      service.priceCents +
      (areaCodes.length ? AREA_CODE_SURCHARGE_CENTS : 0) +
      (carriers.length ? CARRIER_SURCHARGE_CENTS : 0);
    if (maxPriceCents !== null && price > maxPriceCents) {
      throw bad(`The price ${(price / 100).toFixed(2)} is above maxPrice.`, 'PricingFailure');
    }
    if (service.stock <= 0)
      throw bad(`No numbers are available for ${service.displayName} right now.`, 'Unavailable');
    const unfinished = [...this.verifications.values()].filter(
      (v) => !v.mock && this.refresh(v).state === 'verificationPending',
    );
    if (unfinished.length >= this.opts.maxUnfinished) {
      throw bad(
        'Too many unfinished verifications; complete or cancel some first.',
        'TooManyUnfinishedVerifications',
      );
    }
    if (this.balanceCents < price)
      throw bad('Your balance is too low for this purchase.', 'InsufficientBalance');

    this.balanceCents -= price;
    service.stock -= 1;
    const createdAt = this.opts.now();
    const v: SandboxVerification = {
      id: this.id('ver_'),
      saleId: this.id('sale_'),
      number: this.randomNumber(known),
      serviceName: service.serviceName,
      capability,
      state: 'verificationPending',
      totalCostCents: price,
      chargedCents: price,
      createdAt,
      endsAt: new Date(createdAt.getTime() + this.opts.verificationTtlMs),
      sms: [],
      mock: false,
      frozen: false,
      reusableUntil: null,
      canReactivate: false,
      idempotencyKey,
    };
    this.verifications.set(v.id, v);
    this.opts.webhooks.send('v2.reservation.created', { id: v.id, type: 'verification' });
    if (capability !== 'voice') {
      this.schedule(this.opts.smsDelayMs, () => {
        if (this.refresh(v).state === 'verificationPending') this.deliverSms(v.id);
      });
    }
    this.scheduleTimeout(v);
    return v;
  }

  private stringList(value: unknown, field: string): string[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((x) => typeof x !== 'string'))
      throw bad(`${field} must be an array of strings.`);
    return (value as string[]).map((x) => x.trim().toLowerCase());
  }

  private scheduleTimeout(v: SandboxVerification): void {
    const remaining = v.endsAt.getTime() - this.opts.now().getTime();
    this.schedule(remaining + 5, () => {
      if (v.state !== 'verificationPending') return;
      this.refresh(v);
      if (v.state === 'verificationPending') this.scheduleTimeout(v); // injected clock not there yet
    });
  }

  private createMock(
    name: string,
    capability: unknown,
    maxPriceCents: number | null,
    idempotencyKey: string | null,
  ): SandboxVerification {
    this.checkCapabilityValue(capability);
    switch (name) {
      case 'test_insufficient_balance':
        throw bad('Your balance is too low for this purchase.', 'InsufficientBalance');
      case 'test_no_numbers':
        throw bad('No numbers are available right now.', 'Unavailable');
      case 'test_too_many_unfinished_verifications':
        throw bad('Too many unfinished verifications.', 'TooManyUnfinishedVerifications');
      default:
        break;
    }
    if (maxPriceCents !== null && maxPriceCents < MOCK_PRICE_CENTS)
      throw bad('The price is above maxPrice.', 'PricingFailure');
    const now = this.opts.now();
    const prefix = name === 'test_delayed_success' ? 'mock_ver_delay_' : 'mock_ver_';
    const v = this.mockRecord(this.id(prefix), name, now, false, idempotencyKey, String(capability));
    this.verifications.set(v.id, v);
    switch (name) {
      case 'test_success':
        this.completeMock(v, now, new Date(now.getTime() + 30_000));
        break;
      case 'test_reactivatable':
        this.completeMock(v, now, new Date(now.getTime() - 60_000));
        v.canReactivate = true;
        break;
      case 'test_timeout':
        v.state = 'verificationTimedOut';
        v.endsAt = now;
        break;
      case 'test_delayed_success':
        this.schedule(this.opts.delayedSuccessMs, () => {
          if (this.refresh(v).state === 'verificationPending')
            this.deliverSms(v.id, { text: 'Your verification code is 123456', code: '123456' });
        });
        this.scheduleTimeout(v);
        break;
      default: // test_pending: never gets an SMS
        this.scheduleTimeout(v);
    }
    return v;
  }

  private mockRecord(
    id: string,
    serviceName: string,
    now: Date,
    frozen: boolean,
    idempotencyKey: string | null,
    capability = 'sms',
  ): SandboxVerification {
    return {
      id,
      saleId: id.replace(/^mock_ver_/, 'mock_sale_ver_'),
      number: '2223334444',
      serviceName,
      capability,
      state: 'verificationPending',
      totalCostCents: MOCK_PRICE_CENTS,
      chargedCents: 0,
      createdAt: now,
      endsAt: new Date(now.getTime() + this.opts.verificationTtlMs),
      sms: [],
      mock: true,
      frozen,
      reusableUntil: null,
      canReactivate: false,
      idempotencyKey,
    };
  }

  private completeMock(v: SandboxVerification, at: Date, reusableUntil: Date | null): void {
    v.sms.push({
      id: this.id('sms_'),
      from: '+12025550123',
      to: v.number,
      createdAt: at,
      smsContent: 'Your verification code is 123456',
      parsedCode: '123456',
      encrypted: false,
      reservationId: v.id,
    });
    v.state = 'verificationCompleted';
    v.reusableUntil = reusableUntil;
  }

  /** The fixed ids of the real test mode, readable directly. */
  private seedFixedMocks(): void {
    const now = this.opts.now();
    const add = (id: string, service: string, setup: (v: SandboxVerification) => void) => {
      const v = this.mockRecord(id, service, now, true, null);
      setup(v);
      this.verifications.set(id, v);
    };
    add('mock_ver_success', 'test_success', (v) =>
      this.completeMock(v, now, new Date(now.getTime() + 30_000)),
    );
    add('mock_ver_pending', 'test_pending', (v) => {
      v.endsAt = new Date(now.getTime() + 365 * 86_400_000);
    });
    add('mock_ver_reactivatable', 'test_reactivatable', (v) => {
      this.completeMock(v, now, new Date(now.getTime() - 60_000));
      v.canReactivate = true;
    });
    add('mock_ver_timeout', 'test_timeout', (v) => {
      v.state = 'verificationTimedOut';
      v.endsAt = now;
    });
    add('mock_ver_cancelled', 'test_pending', (v) => {
      v.state = 'verificationCanceled';
    });
    add('mock_ver_reported', 'test_success', (v) => {
      this.completeMock(v, now, null);
      v.state = 'verificationReported';
    });
    add('mock_ver_reused', 'test_success', (v) => {
      this.completeMock(v, now, new Date(now.getTime() + 30_000));
    });
  }

  /** Delivers one SMS now (the timer, `test_*` scenarios and the control API all come here). */
  deliverSms(
    id: string,
    opts: { text?: string; code?: string; from?: string; to?: string } = {},
  ): SandboxSms {
    const v = this.get(id);
    const service = this.services.get(v.serviceName);
    let text = opts.text;
    let parsed: string | null = opts.code ?? null;
    if (text === undefined) {
      const code = opts.code
        ? { shown: opts.code, parsed: opts.code }
        : makeCode(service?.codeFormat ?? 'digits6', this.opts.random);
      text = (service?.template ?? 'Your verification code is {code}').replaceAll('{code}', code.shown);
      parsed = code.parsed;
    } else if (parsed === null) {
      parsed =
        /\b(\d{3})[- ]?(\d{3})\b/.exec(text)?.slice(1).join('') ?? /\b\d{4,8}\b/.exec(text)?.[0] ?? null;
    }
    const sms: SandboxSms = {
      id: this.id('sms_'),
      from: opts.from ?? service?.sender ?? null,
      // `to` differing from the number plays a provider whose SMS filter lets a stranger's SMS through.
      to: opts.to ?? v.number,
      createdAt: this.opts.now(),
      smsContent: text,
      parsedCode: parsed,
      encrypted: false,
      reservationId: v.id,
    };
    v.sms.push(sms);
    // A late SMS (after timeout/cancel) is kept and shown, but does not change the state.
    if (v.state === 'verificationPending') v.state = 'verificationCompleted';
    this.opts.webhooks.send('v2.sms.received', {
      from: sms.from,
      to: sms.to,
      createdAt: sms.createdAt.toISOString(),
      smsContent: sms.smsContent,
      parsedCode: sms.parsedCode,
      encrypted: sms.encrypted,
      reservationId: sms.reservationId,
    });
    return sms;
  }

  cancel(id: string): void {
    const v = this.get(id);
    if (!this.canCancel(v)) {
      throw bad(
        v.sms.length > 0
          ? 'This verification already received an SMS and cannot be canceled.'
          : `A verification in state ${v.state} cannot be canceled.`,
        'CannotCancel',
      );
    }
    if (v.frozen) return;
    v.state = 'verificationCanceled';
    this.refund(v);
  }

  report(id: string): void {
    const v = this.get(id);
    if (!this.canReport(v))
      throw bad(`A verification in state ${v.state} cannot be reported.`, 'CannotReport');
    if (v.frozen) return;
    const hadSms = v.sms.length > 0;
    v.state = 'verificationReported';
    if (!hadSms) this.refund(v);
  }

  /** Ends the window now (control API). */
  expire(id: string): SandboxVerification {
    const v = this.get(id);
    v.endsAt = this.opts.now();
    if (v.state === 'verificationPending') this.timeOut(v);
    return v;
  }

  private timeOut(v: SandboxVerification): void {
    v.state = 'verificationTimedOut';
    this.refund(v);
  }

  private refund(v: SandboxVerification): void {
    this.balanceCents += v.chargedCents;
    v.chargedCents = 0;
  }

  smsList(filter: { reservationId?: string; to?: string }): SandboxSms[] {
    const all = this.list().flatMap((v) => v.sms);
    return all
      .filter((m) => (filter.reservationId ? m.reservationId === filter.reservationId : true))
      .filter((m) => (filter.to ? m.to === filter.to.replace(/^\+1/, '') : true))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  setStock(serviceName: string, stock: number): void {
    const service = this.services.get(serviceName.toLowerCase());
    if (!service) throw new SandboxApiError(404, 'NotFound', `Unknown service '${serviceName}'.`);
    service.stock = Math.max(0, Math.floor(stock));
  }
}
