/** Provider JSON → normalized types. Tolerant: missing optional parts become null/false. */
import { decimalToMinorUnits } from '../../platform/money.js';
import type {
  TextVerifiedSms,
  TextVerifiedVerification,
  TextVerifiedVerificationSummary,
  VerificationState,
  WireVerificationCompact,
  WireLink,
  WireSms,
  WireVerificationExpanded,
} from './types.js';

const STATES: Record<string, VerificationState> = {
  verificationpending: 'pending',
  verificationcompleted: 'completed',
  verificationcanceled: 'canceled',
  verificationcancelled: 'canceled',
  verificationtimedout: 'timed_out',
  verificationreported: 'reported',
  verificationrefunded: 'refunded',
  verificationreused: 'reused',
  verificationreactivated: 'reactivated',
};

const mapState = (raw: string): VerificationState => STATES[String(raw).toLowerCase()] ?? 'unknown';

export function parseDate(value: unknown): Date | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function requireDate(value: unknown, field: string): Date {
  const date = parseDate(value);
  if (!date) throw new TypeError(`TextVerified: ${field} is not a date: ${JSON.stringify(value)}`);
  return date;
}

const href = (link: WireLink | null | undefined): string | null => link?.href ?? null;

export function toE164(number: string): string {
  const digits = number.replace(/\D/g, '');
  if (number.trim().startsWith('+')) return `+${digits}`;
  if (digits.length === 10) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return `+${digits}`;
}

export function mapVerification(wire: WireVerificationExpanded): TextVerifiedVerification {
  return {
    id: wire.id,
    number: wire.number,
    e164: toE164(wire.number),
    serviceName: wire.serviceName,
    state: mapState(wire.state),
    rawState: wire.state,
    totalCostCents: decimalToMinorUnits(wire.totalCost, 'up'),
    createdAt: requireDate(wire.createdAt, 'createdAt'),
    endsAt: requireDate(wire.endsAt, 'endsAt'),
    canCancel: wire.cancel?.canCancel === true,
    canReport: wire.report?.canReport === true,
    canReactivate: wire.reactivate?.canReactivate === true,
    reusableUntil: parseDate(wire.reuse?.reusableUntil),
    links: {
      sms: href(wire.sms),
      calls: href(wire.calls),
      sale: href(wire.sale),
      cancel: href(wire.cancel?.link),
      report: href(wire.report?.link),
    },
  };
}

export function mapSms(wire: WireSms): TextVerifiedSms {
  return {
    id: wire.id,
    from: wire.from ?? null,
    to: wire.to,
    createdAt: requireDate(wire.createdAt, 'createdAt'),
    text: wire.smsContent ?? null,
    parsedCode: wire.parsedCode ?? null,
    encrypted: wire.encrypted === true,
  };
}

export function mapVerificationSummary(wire: WireVerificationCompact): TextVerifiedVerificationSummary {
  return {
    id: wire.id,
    number: wire.number,
    serviceName: wire.serviceName,
    state: mapState(wire.state),
    rawState: wire.state,
    totalCostCents: decimalToMinorUnits(wire.totalCost, 'up'),
    createdAt: requireDate(wire.createdAt, 'createdAt'),
  };
}
