import { bigint, integer, pgTable, timestamp } from 'drizzle-orm/pg-core';

/**
 * `setStatus 3` (another code on the same number): how many messages the order had when the client
 * asked, so `getStatus` answers `STATUS_WAIT_RETRY` until a newer one arrives. Keyed by the
 * order's serial (the activation id); the verifications module owns the order itself.
 */
export const smsActivateRetries = pgTable('sms_activate_retries', {
  activationId: bigint('activation_id', { mode: 'number' }).primaryKey(),
  messagesSeen: integer('messages_seen').notNull(),
  requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
});
