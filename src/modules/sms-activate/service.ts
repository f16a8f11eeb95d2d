/**
 * The SMS-Activate-compatible API's use cases, each on the same services as the REST API: the
 * purchase, its hold and its refunds are the verifications module's; the balance is the wallet's.
 * Answers are protocol values (tokens or JSON); refusals are thrown as `AppError` and turned into
 * tokens by the route.
 */
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { Principal } from '../../platform/http/principal.js';
import type { CatalogService } from '../catalog/index.js';
import type { PaymentsService } from '../payments/index.js';
import type { VerificationMessage, VerificationOrder, VerificationsService } from '../verifications/index.js';
import {
  type ActivationState,
  codeOfService,
  countryOfId,
  decimalOf,
  idOfCountry,
  maxPriceCents,
  serviceOfCode,
  type StatusRequest,
  statusToken,
} from './domain.js';
import * as store from './store.js';

export interface SmsActivateDeps {
  db: Db;
  verifications: VerificationsService;
  catalog: CatalogService;
  payments: Pick<PaymentsService, 'walletOverview'>;
  /** How long `getNumber` waits for a number whose purchase is still unsettled; default 10 s. */
  settleWaitMs?: number;
}

export interface NumberRequest {
  service: string | undefined;
  country: string | undefined;
  maxPrice: string | undefined;
}

const badService = (message: string) => new AppError(400, 'validation_failed', message);
const noActivation = () => new AppError(404, 'not_found', 'No such activation.');

export function createSmsActivateService(deps: SmsActivateDeps) {
  const { verifications } = deps;

  async function balance(userId: string): Promise<string> {
    const wallet = await deps.payments.walletOverview(userId);
    return `ACCESS_BALANCE:${decimalOf(wallet.balance.amount)}`;
  }

  /** Buys a number through the REST API's purchase (same hold, limits and refunds). */
  async function buyNumber(principal: Principal, request: NumberRequest, idempotencyKey: string | null) {
    if (!request.service) throw badService('service is required.');
    const country = countryOfId(request.country);
    if (!country) throw new AppError(409, 'out_of_stock', 'No numbers in that country.');
    const maxPrice = maxPriceCents(request.maxPrice);
    if (maxPrice === null) throw badService('maxPrice must be a decimal amount.');
    const service = serviceOfCode(request.service);
    if (!(await deps.catalog.findService(service))) throw badService('Unknown service.');
    const view = await verifications.purchase(
      principal,
      { service, country, ...(maxPrice === undefined ? {} : { maxPrice }) },
      { idempotencyKey },
    );
    const order = await settled(principal, view.id);
    if (order.status !== 'active' || !order.phoneNumber) {
      throw new AppError(409, 'out_of_stock', 'The number could not be assigned.');
    }
    return order;
  }

  /**
   * A purchase whose provider outcome is unknown stays pending; the protocol has no such state, so
   * wait for it briefly, then cancel it (the hold is released at once) and answer `NO_NUMBERS`.
   */
  async function settled(principal: Principal, id: string): Promise<VerificationOrder> {
    const deadline = Date.now() + (deps.settleWaitMs ?? 10_000);
    for (;;) {
      const order = await verifications.ownOrder(principal.userId, id);
      if (!order) throw noActivation();
      if (order.status !== 'pending') return order;
      if (Date.now() >= deadline) {
        await verifications.cancelOrReport(principal.userId, id, 'cancel');
        return (await verifications.ownOrder(principal.userId, id)) ?? order;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async function getNumber(principal: Principal, request: NumberRequest, key: string | null) {
    const order = await buyNumber(principal, request, key);
    return `ACCESS_NUMBER:${order.serial}:${digitsOf(order.phoneNumber)}`;
  }

  async function getNumberV2(principal: Principal, request: NumberRequest, key: string | null) {
    const order = await buyNumber(principal, request, key);
    return {
      activationId: order.serial,
      phoneNumber: digitsOf(order.phoneNumber),
      activationCost: decimalOf(order.priceCents),
      currency: 840,
      countryCode: String(idOfCountry(order.country) ?? ''),
      canGetAnotherSms: true,
      activationTime: isoSeconds(order.createdAt),
      activationOperator: 'any',
    };
  }

  async function activation(userId: string, id: string | undefined) {
    const serial = id && /^\d{1,15}$/.test(id.trim()) ? Number(id) : undefined;
    const found = serial === undefined ? undefined : await verifications.findBySerial(userId, serial);
    if (!found) throw noActivation();
    return found;
  }

  async function stateOf(
    order: VerificationOrder,
    messages: VerificationMessage[],
  ): Promise<ActivationState> {
    const inWindow = messages.filter((m) => !m.afterExpiry && m.code !== null);
    const retry = await store.findRetry(deps.db, order.serial);
    return {
      status: order.status,
      latestCode: inWindow.at(-1)?.code ?? order.code,
      messageCount: inWindow.length,
      retryAfterMessages: retry?.messagesSeen,
    };
  }

  async function getStatus(userId: string, id: string | undefined): Promise<string> {
    const { order, messages } = await activation(userId, id);
    return statusToken(await stateOf(order, messages));
  }

  async function getStatusV2(userId: string, id: string | undefined) {
    const { order, messages } = await activation(userId, id);
    const last = messages.filter((m) => !m.afterExpiry).at(-1);
    return {
      verificationType: 0,
      sms: last ? { dateTime: isoSeconds(last.receivedAt), code: last.code, text: last.text } : null,
      call: null,
      status: statusToken(await stateOf(order, messages)),
    };
  }

  async function getFullSms(userId: string, id: string | undefined): Promise<string> {
    const { order, messages } = await activation(userId, id);
    const last = messages.filter((m) => !m.afterExpiry).at(-1);
    if (last?.text) return `FULL_SMS:${last.text}`;
    return order.status === 'pending' || order.status === 'active' ? 'STATUS_WAIT_CODE' : 'STATUS_CANCEL';
  }

  async function setStatus(userId: string, id: string | undefined, request: StatusRequest): Promise<string> {
    const { order, messages } = await activation(userId, id);
    switch (request) {
      case 'ready':
        if (order.status !== 'active' && order.status !== 'pending' && order.status !== 'completed')
          throw badStatus();
        return 'ACCESS_READY';
      case 'retry': {
        const state = await stateOf(order, messages);
        if (order.status !== 'completed' || !order.endsAt || order.endsAt <= new Date()) throw badStatus();
        await store.requestRetry(deps.db, order.serial, state.messageCount);
        return 'ACCESS_RETRY_GET';
      }
      case 'finish':
        if (order.status !== 'completed') throw badStatus();
        return 'ACCESS_ACTIVATION';
      case 'cancel':
        // Free before the first SMS, at any time (no early-cancel window): the hold is released now.
        await verifications.cancelOrReport(userId, order.id, 'cancel');
        return 'ACCESS_CANCEL';
    }
  }

  /** `{"187": {"wa": {"cost": 0.95, "count": 250}}}` for the services in stock or priced. */
  async function getPrices(tier: string, query: { service?: string; country?: string }) {
    const country = countryOfId(query.country);
    const countryId = country && idOfCountry(country);
    if (!country || countryId === undefined) return {};
    const wanted = query.service ? serviceOfCode(query.service) : undefined;
    const offers = await deps.catalog.listOffers({ country }, tier);
    const byCode: Record<string, { cost: number; count: number }> = {};
    for (const offer of offers) {
      if (offer.priceCents === null || (wanted && offer.name !== wanted)) continue;
      byCode[codeOfService(offer.name)] = { cost: offer.priceCents / 100, count: offer.stock ?? 0 };
    }
    return { [String(countryId)]: byCode };
  }

  /** `{"wa_0": 250, …}`: numbers in stock per service (`_0`: without call forwarding). */
  async function getNumbersStatus(tier: string, query: { country?: string }) {
    const country = countryOfId(query.country);
    if (!country) return {};
    const offers = await deps.catalog.listOffers({ country }, tier);
    return Object.fromEntries(offers.map((o) => [`${codeOfService(o.name)}_0`, o.stock ?? 0]));
  }

  function getCountries() {
    return Object.fromEntries(
      deps.catalog.countries().flatMap((c) => {
        const id = idOfCountry(c.code);
        if (id === undefined) return [];
        const entry = { id, rus: c.name, eng: c.name, chn: c.name, visible: c.available ? 1 : 0, retry: 1 };
        return [[String(id), { ...entry, rent: 0, multiService: 0 }]];
      }),
    );
  }

  async function getActiveActivations(userId: string) {
    const page = await verifications.listVerifications(userId, {
      statuses: ['active', 'completed'],
      limit: 100,
    });
    const now = new Date();
    const open = page.rows.filter((o) => o.endsAt !== null && o.endsAt > now);
    return {
      status: 'success',
      activeActivations: open.map((o) => ({
        activationId: o.serial,
        serviceCode: codeOfService(o.service),
        phoneNumber: digitsOf(o.phoneNumber),
        activationCost: decimalOf(o.priceCents),
        activationStatus: o.status === 'completed' ? '6' : '1',
        smsCode: o.code,
        smsText: null,
        activationTime: isoSeconds(o.createdAt),
        countryCode: String(idOfCountry(o.country) ?? ''),
        countryName: o.country,
        canGetAnotherSms: true,
      })),
    };
  }

  return {
    balance,
    getNumber,
    getNumberV2,
    getStatus,
    getStatusV2,
    getFullSms,
    setStatus,
    getPrices,
    getNumbersStatus,
    getCountries,
    getActiveActivations,
  };
}
export type SmsActivateService = ReturnType<typeof createSmsActivateService>;

const badStatus = () => new AppError(409, 'not_cancelable', 'The activation is not in a state for that.');

/** The protocol writes phone numbers as digits without `+`. */
const digitsOf = (e164: string | null): string => (e164 ?? '').replace(/\D/g, '');

/** `2026-11-30 20:04:05`, as SMS-Activate writes times. */
const isoSeconds = (date: Date): string => date.toISOString().slice(0, 19).replace('T', ' ');
