import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { users } from './schema.js';
import type { UserRow } from './store.js';

// The accounts store, continued: the administrators' user search.
/** Users whose id is `q` or whose e-mail contains it (all when empty), by e-mail, after the e-mail `after`. */
export function searchUsers(
  db: Db,
  query: { q?: string; after?: string; limit: number },
): Promise<UserRow[]> {
  const q = query.q?.trim().toLowerCase();
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const match = !q
    ? undefined
    : uuid.test(q)
      ? eq(users.id, q)
      : sql`lower(${users.email}) like ${`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`;
  return db
    .select()
    .from(users)
    .where(and(match, query.after === undefined ? undefined : gt(users.email, query.after)))
    .orderBy(users.email)
    .limit(query.limit);
}
