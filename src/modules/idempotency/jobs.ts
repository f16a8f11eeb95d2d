import type { Db } from '../../platform/db/database.js';
import type { Jobs } from '../../platform/jobs.js';
import { pruneOlderThan } from './store.js';

export const PRUNE_IDEMPOTENCY_KEYS = 'idempotency.prune';

export function defineIdempotencyJobs(jobs: Jobs, deps: { db: Db; ttlHours: number }): void {
  const { db, ttlHours } = deps;
  jobs.define({
    name: PRUNE_IDEMPOTENCY_KEYS,
    cron: '17 * * * *',
    handler: async () => {
      await pruneOlderThan(db, ttlHours);
    },
  });
}
