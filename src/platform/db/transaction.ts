import { sqlState } from '../errors.js';
import type { Db } from './database.js';

const RETRYABLE = new Set(['40001', '40P01']);

/**
 * For invariants that span rows no single lock covers. Bounded retries on serialization failure
 * and deadlock, with jitter; never use it on the hot wallet row (conditional updates are for that).
 */
export async function serializable<T>(db: Db, work: (tx: Db) => Promise<T>, maxAttempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work, { isolationLevel: 'serializable' });
    } catch (error) {
      const code = sqlState(error);
      if (!code || !RETRYABLE.has(code) || attempt >= maxAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
    }
  }
}
