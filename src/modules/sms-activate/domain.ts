/**
 * The SMS-Activate `handler_api.php` protocol (contracts §C) as pure rules: its service and
 * country codes mapped onto the catalogue, its answer tokens, and which token an order's state or
 * a refusal of ours becomes. No I/O.
 */
import { minorUnitsToDecimalString } from '../../platform/money.js';

/** The SMS-Activate service codes of the catalogue's services (their published list). */
const SERVICE_CODES: Readonly<Record<string, string>> = {
  wa: 'whatsapp',
  tg: 'telegram',
  go: 'google',
  fb: 'facebook',
  ig: 'instagram',
  lf: 'tiktok',
  ds: 'discord',
  am: 'amazon',
  ub: 'uber',
  tu: 'lyft',
  tw: 'twitter',
  fu: 'snapchat',
  mm: 'microsoft',
  wx: 'apple',
  mb: 'yahoo',
  ts: 'paypal',
  yy: 'venmo',
  it: 'cashapp',
  re: 'coinbase',
  aon: 'binance',
  tn: 'linkedin',
  oi: 'tinder',
  mo: 'bumble',
  vz: 'hinge',
  bw: 'signal',
  vi: 'viber',
  wb: 'wechat',
  me: 'line',
  kt: 'kakaotalk',
  nf: 'netflix',
  hb: 'twitch',
  mt: 'steam',
  dh: 'ebay',
  ac: 'doordash',
};

const CODE_OF_SERVICE: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SERVICE_CODES).map(([code, name]) => [name, code]),
);

/**
 * The catalogue service a client names: its SMS-Activate code (`wa`), or the catalogue's own name
 * (`kraken`) for services that have no code there.
 */
export function serviceOfCode(code: string): string {
  const wanted = code.trim().toLowerCase();
  return SERVICE_CODES[wanted] ?? wanted;
}

/** The code a client sees for a catalogue service (its own name when SMS-Activate has none). */
export const codeOfService = (service: string): string => CODE_OF_SERVICE[service] ?? service;

/** SMS-Activate's numeric country ids of the countries the catalogue may sell (187 = USA; 12 = "USA virtual"). */
const COUNTRY_IDS: Readonly<Record<number, string>> = {
  12: 'US',
  187: 'US',
  16: 'GB',
  36: 'CA',
  43: 'DE',
  78: 'FR',
  22: 'IN',
  73: 'BR',
};
const ID_OF_COUNTRY: Readonly<Record<string, number>> = {
  US: 187,
  GB: 16,
  CA: 36,
  DE: 43,
  FR: 78,
  IN: 22,
  BR: 73,
};

/** Clients that omit `country` get the United States, the one country sold today (SMS-Activate itself defaulted to 0, Russia). */
export const DEFAULT_COUNTRY_ID = 187;

/** The ISO code of an SMS-Activate country id, or undefined for one we do not know. */
export function countryOfId(id: string | undefined): string | undefined {
  if (id === undefined || id.trim() === '') return COUNTRY_IDS[DEFAULT_COUNTRY_ID];
  if (!/^\d{1,4}$/.test(id.trim())) return undefined;
  return COUNTRY_IDS[Number(id)];
}

export const idOfCountry = (iso: string): number | undefined => ID_OF_COUNTRY[iso];

/** Every action this endpoint answers; anything else is `BAD_ACTION`. */
export const ACTIONS = [
  'getBalance',
  'getBalanceAndCashBack',
  'getNumber',
  'getNumberV2',
  'getStatus',
  'getStatusV2',
  'setStatus',
  'getFullSms',
  'getPrices',
  'getNumbersStatus',
  'getCountries',
  'getActiveActivations',
  'getListOfActiveActivations',
] as const;
export type Action = (typeof ACTIONS)[number];
export const isAction = (value: string): value is Action => (ACTIONS as readonly string[]).includes(value);

/** Amounts are shown as decimal dollars (the wallet's currency), e.g. `ACCESS_BALANCE:12.50`. */
export const decimalOf = (cents: number): string => minorUnitsToDecimalString(cents);

/** `maxPrice` is decimal dollars; undefined when absent, null when it is not a price. */
export function maxPriceCents(value: string | undefined): number | undefined | null {
  if (value === undefined || value.trim() === '') return undefined;
  const [whole = '', fraction = '', ...rest] = value.trim().split('.');
  if (rest.length > 0 || !/^\d{1,7}$/.test(whole) || !/^\d{0,2}$/.test(fraction)) return null;
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

/** The state of an order as far as this protocol can tell it. */
export interface ActivationState {
  status: 'pending' | 'active' | 'completed' | 'canceled' | 'expired' | 'failed';
  /** The code of the newest message with one (the order's own code first). */
  latestCode: string | null;
  /** Messages received while the window was open. */
  messageCount: number;
  /** `setStatus 3` was asked when the order had this many messages. */
  retryAfterMessages: number | undefined;
}

/** The `getStatus` answer of an order. */
export function statusToken(state: ActivationState): string {
  switch (state.status) {
    case 'pending':
    case 'active':
      return 'STATUS_WAIT_CODE';
    case 'completed':
      if (state.retryAfterMessages !== undefined && state.messageCount <= state.retryAfterMessages) {
        return `STATUS_WAIT_RETRY:${state.latestCode ?? ''}`;
      }
      return `STATUS_OK:${state.latestCode ?? ''}`;
    default:
      return 'STATUS_CANCEL';
  }
}

/** What `setStatus` is asked to do (1 ready, 3 another code, 6 finish, 8 or -1 cancel). */
export type StatusRequest = 'ready' | 'retry' | 'finish' | 'cancel';
export function statusRequestOf(value: string | undefined): StatusRequest | undefined {
  switch (value?.trim()) {
    case '1':
      return 'ready';
    case '3':
      return 'retry';
    case '6':
      return 'finish';
    case '8':
    case '-1':
      return 'cancel';
    default:
      return undefined;
  }
}

/**
 * The token a refusal of the REST API becomes. Classic servers answer HTTP 200 with the token,
 * so a client's parser sees it; transient failures use `ERROR_SQL`, which clients retry.
 */
export function tokenOfError(code: string, details?: { minPriceCents?: number }): string {
  switch (code) {
    case 'unauthenticated':
    case 'forbidden':
    case 'email_unconfirmed':
    case 'tier_required':
      return 'BAD_KEY';
    case 'insufficient_funds':
      return 'NO_BALANCE';
    case 'out_of_stock':
    case 'provider_rejected':
    case 'active_limit_reached':
      return 'NO_NUMBERS';
    case 'price_changed':
      return details?.minPriceCents === undefined
        ? 'WRONG_MAX_PRICE'
        : `WRONG_MAX_PRICE:${decimalOf(details.minPriceCents)}`;
    case 'not_found':
      return 'NO_ACTIVATION';
    case 'already_completed':
    case 'not_cancelable':
      return 'BAD_STATUS';
    case 'validation_failed':
      return 'BAD_SERVICE';
    default:
      return 'ERROR_SQL';
  }
}
