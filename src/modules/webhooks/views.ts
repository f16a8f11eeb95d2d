/** What the webhook routes return (zod), and the functions that shape rows into it. */
import { z } from 'zod';
import type { AttemptRow, DeliveryWithEvent, EndpointRow } from './store.js';

export const endpointView = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  /** Event types delivered; `["*"]` = all. */
  events: z.array(z.string()),
  enabled: z.boolean(),
  /** Why the platform switched it off (repeated failures), if it did. */
  disabledReason: z.string().nullable(),
  /** Until when the secret replaced by the last rotation still signs (a second `v1`). */
  previousSecretExpiresAt: z.string().nullable(),
  createdAt: z.string(),
});
export type EndpointView = z.infer<typeof endpointView>;

/** The secret appears in these two answers only: at creation and at rotation. */
export const endpointWithSecretView = endpointView.extend({ secret: z.string() });

export const attemptView = z.object({
  attemptedAt: z.string(),
  statusCode: z.number().int().nullable(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
  responseExcerpt: z.string().nullable(),
  nextRetryAt: z.string().nullable(),
});

export const deliveryView = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  endpointId: z.string(),
  status: z.enum(['pending', 'delivering', 'succeeded', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
  log: z.array(attemptView),
});
export type DeliveryView = z.infer<typeof deliveryView>;

export const deliveriesPageView = z.object({
  data: z.array(deliveryView),
  nextCursor: z.string().nullable(),
});

export function describeEndpoint(row: EndpointRow, now = new Date()): EndpointView {
  const overlap =
    row.previousSecretExpiresAt && row.previousSecretExpiresAt.getTime() > now.getTime()
      ? row.previousSecretExpiresAt.toISOString()
      : null;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    enabled: row.enabled,
    disabledReason: row.enabled ? null : row.disabledReason,
    previousSecretExpiresAt: overlap,
    createdAt: row.createdAt.toISOString(),
  };
}

export function describeDelivery(row: DeliveryWithEvent, attempts: readonly AttemptRow[]): DeliveryView {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    endpointId: row.endpointId,
    status: row.status as DeliveryView['status'],
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    log: attempts
      .filter((a) => a.deliveryId === row.id)
      .map((a) => ({
        attemptedAt: a.attemptedAt.toISOString(),
        statusCode: a.statusCode,
        durationMs: a.durationMs,
        error: a.error,
        responseExcerpt: a.responseExcerpt,
        nextRetryAt: a.nextRetryAt?.toISOString() ?? null,
      })),
  };
}
