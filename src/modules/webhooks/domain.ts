/** Pure rules of developer webhooks: event types, filters, signatures, retry schedule, disabling. */
import { createHmac, randomBytes } from 'node:crypto';

/** The events a user's endpoint may subscribe to (SPEC §7). */
export const EVENT_TYPES = [
  'verification.created',
  'verification.completed',
  'verification.canceled',
  'verification.expired',
  'verification.failed',
  'wallet.topup.succeeded',
  'subscription.renewed',
  'subscription.past_due',
  'subscription.downgraded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** Sent only by "send test event", to the one endpoint asked for, whatever its filter. */
export const TEST_EVENT_TYPE = 'webhook.test';
/** A filter of `['*']` takes every event type. */
export const ALL_EVENTS = '*';

export const SIGNATURE_HEADER = 'Namaskah-Signature';
export const EVENT_ID_HEADER = 'Namaskah-Event-Id';
export const EVENT_TYPE_HEADER = 'Namaskah-Event-Type';

/** How long the secret replaced by a rotation keeps signing. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
/** Retries stop this long after a delivery was created. */
export const RETRY_WINDOW_MS = 72 * 3600 * 1000;
/** An endpoint failing this many attempts in a row, or failing without a success for the retry window, is disabled. */
export const DISABLE_AFTER_FAILURES = 20;

export const newEndpointSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;
export const newEventId = () => `evt_${randomBytes(16).toString('hex')}`;

export function matchesFilter(filter: readonly string[], type: string): boolean {
  return filter.includes(ALL_EVENTS) || filter.includes(type);
}

/** The filter as stored: `*` alone if present, otherwise the distinct types. */
export function normalizeFilter(filter: readonly string[]): string[] {
  return filter.includes(ALL_EVENTS) ? [ALL_EVENTS] : [...new Set(filter)];
}

/** The exact bytes sent (and signed): `{id, type, createdAt, data}`. */
export function eventBody(event: { id: string; type: string; createdAt: Date; data: unknown }): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    data: event.data,
  });
}

/** Hex HMAC-SHA256 of `t + "." + body` with the endpoint's secret. */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/**
 * `t=<unix seconds>,v1=<sig>[,v1=<sig>…]`: one `v1` per live secret (the current one first, then
 * the one a rotation replaced while its overlap lasts), as Stripe does.
 */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${signPayload(secret, timestamp, body)}`)].join(
    ',',
  );
}

const BASE_DELAY_MS = 30_000;
const MAX_DELAY_MS = 12 * 3600 * 1000;

/**
 * When the next attempt is due after `attempts` failed ones: 30 s doubling up to 12 h, with ±20 %
 * jitter so endpoints that fail together are not retried in lockstep; `null` once the next try
 * would fall after `giveUpAt` (about 16 attempts over 72 h).
 */
export function nextAttemptAt(
  attempts: number,
  now: Date,
  giveUpAt: Date,
  random: () => number = Math.random,
): Date | null {
  const exponential = Math.min(BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
  const jittered = exponential * (0.8 + 0.4 * random());
  const at = new Date(now.getTime() + Math.round(jittered));
  return at.getTime() > giveUpAt.getTime() ? null : at;
}

/** Whether an endpoint with this failure record is switched off. */
export function shouldDisable(
  endpoint: { consecutiveFailures: number; failingSince: Date | null },
  now: Date,
): boolean {
  if (endpoint.consecutiveFailures >= DISABLE_AFTER_FAILURES) return true;
  return endpoint.failingSince !== null && now.getTime() - endpoint.failingSince.getTime() >= RETRY_WINDOW_MS;
}

/** A response body kept in the log: the first 1 KiB, on one line of printable text. */
export function responseExcerpt(body: string): string {
  return body.slice(0, 1024);
}

export const isSuccess = (status: number) => status >= 200 && status < 300;
