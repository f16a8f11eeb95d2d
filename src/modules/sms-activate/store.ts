/** The SMS-Activate module's one table: the `setStatus 3` requests. */
import { eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { smsActivateRetries } from './schema.js';

export async function findRetry(db: Db, activationId: number) {
  const [row] = await db
    .select()
    .from(smsActivateRetries)
    .where(eq(smsActivateRetries.activationId, activationId));
  return row;
}

/** Asking again moves the mark to the messages the order has now. */
export async function requestRetry(db: Db, activationId: number, messagesSeen: number): Promise<void> {
  await db
    .insert(smsActivateRetries)
    .values({ activationId, messagesSeen })
    .onConflictDoUpdate({
      target: smsActivateRetries.activationId,
      set: { messagesSeen, requestedAt: new Date() },
    });
}
