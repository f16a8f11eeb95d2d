/**
 * The sandbox's verifications: purchase (with idempotency keys), SMS delivery, cancel, report,
 * timeouts and their timers. The catalogue and balance they draw on are in account.ts; the HTTP
 * layer is in routes.ts.
 */
import {
  AREA_CODES,
  AREA_CODE_SURCHARGE_CENTS,
  CARRIERS,
  CARRIER_SURCHARGE_CENTS,
  MOCK_SCENARIOS,
  makeCode,
} from './catalog.js';
import { SandboxApiError, bad, type SandboxAccount } from './account.js';
import { MOCK_CODE, MOCK_SMS_TEXT, fixedMocks, mockPurchase, mockRenewal } from './mocks.js';
import { dollars, isAboveMaxPrice } from './money.js';
import { newId, type SandboxSms, type SandboxVerification } from './verification.js';
import type { WebhookSender } from './webhooks.js';

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
  maxUnfinished: number;
  /** How long after its first SMS a verification may be reused. */
  reuseWindowMs: number;
  /** How long after its first SMS a verification may be reactivated (once the reuse window is over). */
  reactivateWindowMs: number;
  account: SandboxAccount;
  webhooks: WebhookSender;
}

export class SandboxState {
  readonly verifications = new Map<string, SandboxVerification>();
  createLatencyMs = 0;
  private readonly idempotency = new Map<string, { state: 'in_flight' } | { state: 'done'; id: string }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /**
   * Ids of the non-mock verifications in state pending, in creation order, and their numbers: the
   * unfinished limit and the number-clash check read these instead of every verification ever made
   * (a long benchmark holds thousands). Kept by `enterPending` / `leavePending`.
   */
  private readonly pending = new Set<string>();
  private readonly pendingNumbers = new Map<string, number>();
  private closed = false;
  private readonly account: SandboxAccount;

  constructor(private readonly opts: SandboxStateOptions) {
    this.account = opts.account;
    for (const v of fixedMocks(opts.now(), opts.verificationTtlMs)) {
      this.verifications.set(v.id, v);
      if (v.state === 'verificationPending') this.enterPending(v);
    }
  }

  // ---------- ids, numbers, timers ----------

  private randomNumber(areaCodes?: string[]): string {
    const pool = areaCodes?.length ? areaCodes : AREA_CODES.map((a) => a.areaCode);
    for (;;) {
      const area = pool[Math.floor(this.opts.random() * pool.length)] ?? '415';
      const exchange =
        String(2 + Math.floor(this.opts.random() * 8)) +
        String(Math.floor(this.opts.random() * 100)).padStart(2, '0');
      const line = String(Math.floor(this.opts.random() * 10_000)).padStart(4, '0');
      const number = `${area}${exchange}${line}`;
      if (!this.pendingNumbers.has(number)) return number;
    }
  }

  /**
   * A mock's number is never handed out again (mocks change state in mocks.ts, without
   * `leavePending`): one fixed test number, kept out of the random ones for good.
   */
  private enterPending(v: SandboxVerification): void {
    this.pendingNumbers.set(v.number, (this.pendingNumbers.get(v.number) ?? 0) + 1);
    if (!v.mock) this.pending.add(v.id);
  }

  /** Every way out of pending goes through here (completed, canceled, reported, timed out). */
  private leavePending(v: SandboxVerification, state: SandboxVerification['state']): void {
    if (this.pending.delete(v.id)) {
      const left = (this.pendingNumbers.get(v.number) ?? 1) - 1;
      if (left > 0) this.pendingNumbers.set(v.number, left);
      else this.pendingNumbers.delete(v.number);
    }
    v.state = state;
  }

  /**
   * Unfinished (pending) verifications, after timing out those whose window has passed. Windows all
   * have the same length, so the oldest end first: the walk stops at the first one still running.
   */
  private unfinishedCount(): number {
    const now = this.opts.now().getTime();
    for (const id of this.pending) {
      const v = this.verifications.get(id)!;
      if (v.frozen) continue;
      if (now < v.endsAt.getTime()) break;
      this.refresh(v);
    }
    return this.pending.size;
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

  /** Completed, inside its reuse window, and not renewed yet (`reuse.reusableUntil` is in the future). */
  canReuse(v: SandboxVerification): boolean {
    const now = this.opts.now().getTime();
    return (
      v.state === 'verificationCompleted' &&
      v.renewedBy === null &&
      v.reusableUntil !== null &&
      now < v.reusableUntil.getTime()
    );
  }

  /** Completed, its reuse window over, its reactivation offer still open, not renewed yet. */
  canReactivate(v: SandboxVerification): boolean {
    const now = this.opts.now().getTime();
    return (
      v.state === 'verificationCompleted' &&
      v.renewedBy === null &&
      v.reactivatableUntil !== null &&
      now < v.reactivatableUntil.getTime() &&
      (v.reusableUntil === null || now >= v.reusableUntil.getTime())
    );
  }

  /**
   * `POST /verifications/{id}/reuse|reactivate`: a NEW verification on the same number, pending,
   * charged the original's price (test-mode ones are free), its SMS on the usual timer. Refused with
   * a 400 when not eligible. Each completion renews once; the fixed `mock_ver_*` ids are not changed
   * (test-mode actions are not persisted), so they can be renewed while their window lasts.
   */
  renew(id: string, action: 'reuse' | 'reactivate'): SandboxVerification {
    const original = this.get(id);
    const eligible = action === 'reuse' ? this.canReuse(original) : this.canReactivate(original);
    if (!eligible) {
      throw bad(
        action === 'reuse'
          ? 'This verification cannot be reused (only shortly after a successful completion).'
          : 'This verification cannot be reactivated.',
        'NotEligible',
      );
    }
    const now = this.opts.now();
    let v: SandboxVerification;
    if (original.mock) {
      v = mockRenewal(original, now, this.opts.verificationTtlMs);
    } else {
      if (this.unfinishedCount() >= this.opts.maxUnfinished)
        throw bad('Too many unfinished verifications.', 'TooManyUnfinishedVerifications');
      const price = original.totalCostCents;
      if (this.account.balanceCents < price)
        throw bad('Your balance is too low for this purchase.', 'InsufficientBalance');
      this.account.balanceCents -= price;
      v = {
        ...original,
        id: newId('ver_'),
        saleId: newId('sale_'),
        state: 'verificationPending',
        chargedCents: price,
        createdAt: now,
        endsAt: new Date(now.getTime() + this.opts.verificationTtlMs),
        sms: [],
        reusableUntil: null,
        reactivatableUntil: null,
        completedAt: null,
        renewedBy: null,
        idempotencyKey: null,
      };
    }
    if (!original.frozen) original.renewedBy = v.id;
    this.verifications.set(v.id, v);
    this.enterPending(v);
    this.opts.webhooks.send('v2.reservation.created', { id: v.id, type: 'verification' });
    if (v.capability !== 'voice') {
      this.schedule(this.opts.smsDelayMs, () => {
        if (this.refresh(v).state !== 'verificationPending') return;
        if (v.mock) this.deliverSms(v.id, { text: MOCK_SMS_TEXT, code: MOCK_CODE });
        else this.deliverSms(v.id);
      });
    }
    this.scheduleTimeout(v);
    return v;
  }

  /** Ends the reuse window now (control API): reactivation is offered from here on. */
  endReuseWindow(id: string): SandboxVerification {
    const v = this.get(id);
    if (v.state !== 'verificationCompleted')
      throw bad(`A verification in state ${v.state} has no reuse window.`);
    v.reusableUntil = this.opts.now();
    return v;
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
    let maxPrice: number | null = null;
    if (body.maxPrice !== undefined && body.maxPrice !== null) {
      if (typeof body.maxPrice !== 'number' || !Number.isFinite(body.maxPrice))
        throw bad('maxPrice must be a number.');
      maxPrice = body.maxPrice;
    }
    const areaCodes = this.stringList(body.areaCodeSelectOption, 'areaCodeSelectOption');
    const carriers = this.stringList(body.carrierSelectOption, 'carrierSelectOption');
    if (MOCK_SCENARIOS.has(name)) return this.createMock(name, body.capability, maxPrice, idempotencyKey);

    const service = this.account.service(name);
    const capability = this.account.checkCapability(service, body.capability);
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
    if (maxPrice !== null && isAboveMaxPrice(price, maxPrice)) {
      throw bad(`The price ${dollars(price).toFixed(2)} is above maxPrice.`, 'PricingFailure');
    }
    if (service.stock <= 0)
      throw bad(`No numbers are available for ${service.displayName} right now.`, 'Unavailable');
    if (this.unfinishedCount() >= this.opts.maxUnfinished) {
      throw bad(
        'Too many unfinished verifications; complete or cancel some first.',
        'TooManyUnfinishedVerifications',
      );
    }
    if (this.account.balanceCents < price)
      throw bad('Your balance is too low for this purchase.', 'InsufficientBalance');

    this.account.balanceCents -= price;
    service.stock -= 1;
    const createdAt = this.opts.now();
    const v: SandboxVerification = {
      id: newId('ver_'),
      saleId: newId('sale_'),
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
      reactivatableUntil: null,
      completedAt: null,
      renewedBy: null,
      idempotencyKey,
    };
    this.verifications.set(v.id, v);
    this.enterPending(v);
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
    maxPrice: number | null,
    idempotencyKey: string | null,
  ): SandboxVerification {
    this.account.checkCapabilityValue(capability);
    const now = this.opts.now();
    const v = mockPurchase(
      name,
      String(capability),
      maxPrice,
      idempotencyKey,
      now,
      this.opts.verificationTtlMs,
    );
    this.verifications.set(v.id, v);
    if (v.state === 'verificationPending') this.enterPending(v);
    if (name === 'test_delayed_success') {
      this.schedule(this.opts.delayedSuccessMs, () => {
        if (this.refresh(v).state === 'verificationPending')
          this.deliverSms(v.id, { text: MOCK_SMS_TEXT, code: MOCK_CODE });
      });
    }
    // test_pending never gets an SMS; like test_delayed_success it times out.
    if (v.state === 'verificationPending') this.scheduleTimeout(v);
    return v;
  }

  /** Delivers one SMS now (the timer, `test_*` scenarios and the control API all come here). */
  deliverSms(
    id: string,
    opts: { text?: string; code?: string; from?: string; to?: string } = {},
  ): SandboxSms {
    const v = this.get(id);
    const service = this.account.services.get(v.serviceName);
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
      id: newId('sms_'),
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
    if (v.state === 'verificationPending') {
      this.leavePending(v, 'verificationCompleted');
      v.completedAt = sms.createdAt;
      v.reusableUntil = new Date(sms.createdAt.getTime() + this.opts.reuseWindowMs);
      v.reactivatableUntil = new Date(sms.createdAt.getTime() + this.opts.reactivateWindowMs);
    }
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
    this.leavePending(v, 'verificationCanceled');
    this.refund(v);
  }

  report(id: string): void {
    const v = this.get(id);
    if (!this.canReport(v))
      throw bad(`A verification in state ${v.state} cannot be reported.`, 'CannotReport');
    if (v.frozen) return;
    const hadSms = v.sms.length > 0;
    this.leavePending(v, 'verificationReported');
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
    this.leavePending(v, 'verificationTimedOut');
    this.refund(v);
  }

  private refund(v: SandboxVerification): void {
    this.account.balanceCents += v.chargedCents;
    v.chargedCents = 0;
  }

  smsList(filter: { reservationId?: string; to?: string }): SandboxSms[] {
    // One reservation's list (what a poller asks) without walking every verification.
    const one = filter.reservationId ? this.verifications.get(filter.reservationId) : undefined;
    const all = filter.reservationId ? (one ? this.refresh(one).sms : []) : this.list().flatMap((v) => v.sms);
    return all
      .filter((m) => (filter.reservationId ? m.reservationId === filter.reservationId : true))
      .filter((m) => (filter.to ? m.to === filter.to.replace(/^\+1/, '') : true))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }
}
