/**
 * TextVerified webhooks (contract §A.4): `X-Webhook-Signature: HMAC-SHA512=<base64>` over the raw
 * body, keyed with the webhook secret; bodies may be camelCase or PascalCase.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TextVerifiedError } from './errors.js';
import { parseDate } from './mapping.js';
import type { TextVerifiedWebhookEvent } from './types.js';

export const WEBHOOK_SIGNATURE_HEADER = 'x-webhook-signature';
const WEBHOOK_SIGNATURE_PREFIX = 'HMAC-SHA512=';

/** The header value TextVerified would send for this body. */
export function signWebhookBody(rawBody: Buffer | string, secret: string): string {
  const digest = createHmac('sha512', secret).update(rawBody).digest('base64');
  return `${WEBHOOK_SIGNATURE_PREFIX}${digest}`;
}

/** Constant-time check of `X-Webhook-Signature` against the raw body. Never throws. */
export function verifyWebhookSignature(
  rawBody: Buffer | string,
  header: string | string[] | undefined | null,
  secret: string,
): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || !secret) return false;
  const trimmed = value.trim();
  if (!trimmed.startsWith(WEBHOOK_SIGNATURE_PREFIX)) return false;
  const given = trimmed.slice(WEBHOOK_SIGNATURE_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(given)) return false;
  const expected = createHmac('sha512', secret).update(rawBody).digest();
  const actual = Buffer.from(given, 'base64');
  if (actual.length !== expected.length) return false;
  return timingSafeEqual(actual, expected);
}

type Loose = Record<string, unknown>;

const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads `key` ignoring case (`smsContent`, `SmsContent`, `smscontent`). */
function pick(obj: Loose, key: string): unknown {
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const str = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;

/** Parses a webhook body (already signature-checked) into a normalized event. Throws `bad_request` on junk. */
export function parseWebhookEvent(rawBody: Buffer | string): TextVerifiedWebhookEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch (cause) {
    throw new TextVerifiedError('bad_request', 'TextVerified webhook body is not JSON', { cause });
  }
  if (!isObject(parsed))
    throw new TextVerifiedError('bad_request', 'TextVerified webhook body is not an object');
  const event = str(pick(parsed, 'event'));
  if (!event) throw new TextVerifiedError('bad_request', 'TextVerified webhook has no event name');
  const id = str(pick(parsed, 'id'));
  const idempotencyKey = str(pick(parsed, 'idempotencyKey'));
  const attemptRaw = Number(pick(parsed, 'attempt'));
  const envelope = {
    id,
    event,
    occurredAt: parseDate(pick(parsed, 'occurredAt')),
    attempt: Number.isInteger(attemptRaw) && attemptRaw > 0 ? attemptRaw : 1,
    idempotencyKey,
    dedupeKey: idempotencyKey ?? id,
  };
  const data = pick(parsed, 'data');
  const body: Loose = isObject(data) ? data : {};
  switch (event.toLowerCase()) {
    case 'v2.sms.received':
      return {
        ...envelope,
        type: 'sms.received',
        sms: {
          from: str(pick(body, 'from')),
          to: str(pick(body, 'to')),
          createdAt: parseDate(pick(body, 'createdAt')),
          text: str(pick(body, 'smsContent')),
          parsedCode: str(pick(body, 'parsedCode')),
          encrypted: pick(body, 'encrypted') === true,
          reservationId: str(pick(body, 'reservationId')),
        },
      };
    case 'v2.reservation.created':
      return {
        ...envelope,
        type: 'reservation.created',
        reservation: { id: str(pick(body, 'id')), type: str(pick(body, 'type')) },
      };
    default:
      return { ...envelope, type: 'other', data: data ?? null };
  }
}
