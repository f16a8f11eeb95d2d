/** Provider JSON → normalized types; provider money (account currency units) → cents, once. */
import type { FiveSimOrder, FiveSimSms, OrderStatus, WireOrder, WireSms } from './types.js';

const STATES: Record<string, OrderStatus> = {
  pending: 'pending',
  received: 'received',
  canceled: 'canceled',
  cancelled: 'canceled',
  timeout: 'timeout',
  finished: 'finished',
  banned: 'banned',
};

export function parseDate(value: unknown): Date | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function requireDate(value: unknown, field: string): Date {
  const date = parseDate(value);
  if (!date) throw new TypeError(`5sim: ${field} is not a date: ${JSON.stringify(value)}`);
  return date;
}

/**
 * Cents for an amount in the account's currency: `centsPerUnit` is 100 for a dollar account.
 * Rounded up, so a cost is never under-counted (the cap we compare it with must hold).
 */
export function unitsToCents(units: number, centsPerUnit: number): number {
  if (!Number.isFinite(units) || units < 0) throw new TypeError(`5sim: bad amount ${units}`);
  // Rounded to a micro-cent first: 0.1 × 100 is 10.000000000000002 in binary floating point.
  return Math.ceil(Math.round(units * centsPerUnit * 1e6) / 1e6);
}

/** The largest amount in account units that is at most `cents` (for `maxPrice`). */
export function centsToUnits(cents: number, centsPerUnit: number): number {
  return Math.floor((cents / centsPerUnit) * 1e4) / 1e4;
}

export function mapSms(wire: WireSms): FiveSimSms {
  return {
    id: wire.id === undefined || wire.id === null ? null : String(wire.id),
    createdAt: requireDate(wire.created_at ?? wire.date, 'sms.created_at'),
    sender: wire.sender ?? null,
    text: wire.text ?? null,
    code: wire.code ? wire.code : null,
  };
}

export function mapOrder(wire: WireOrder, centsPerUnit: number): FiveSimOrder {
  const phone = String(wire.phone ?? '');
  return {
    id: String(wire.id),
    phone: phone.startsWith('+') ? phone : `+${phone.replace(/\D/g, '')}`,
    operator: wire.operator,
    product: wire.product,
    country: wire.country,
    priceCents: unitsToCents(Number(wire.price ?? 0), centsPerUnit),
    status: STATES[String(wire.status).toLowerCase()] ?? 'unknown',
    rawStatus: wire.status,
    createdAt: requireDate(wire.created_at, 'created_at'),
    expiresAt: requireDate(wire.expires, 'expires'),
    sms: (wire.sms ?? []).map(mapSms),
  };
}
