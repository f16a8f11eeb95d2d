import type { Db } from '../../platform/db/database.js';
import { createAdminOperations } from './admin-operations.js';
import { type AccountsDeps, createAccountsContext } from './context.js';
import { createMfa } from './mfa.js';
import { createPasswordOperations } from './password.js';
import { pruneAccountRecords } from './pruning.js';
import { createRegistration } from './registration.js';
import { createSessions } from './sessions.js';
import * as store from './store.js';
import type { User } from './users.js';

export { type AdminProvisioning, generateStrongPassword, provisionAdmin } from './admin-operations.js';
export type { UserRole, UserStatus } from './domain.js';
export {
  type AccountsDeps,
  type IssuedTokens,
  type RequestContext,
  REFRESH_TOKEN_SECONDS,
  SECRET_CHECKS_PER_USER,
} from './context.js';
export { type AccountsCore, type PublicUser, type User, normalizeEmail, publicUser } from './users.js';

/**
 * The accounts' use cases, one file each (registration, sessions and sign-in, passwords, MFA,
 * admin operations), composed into the one service the rest of the application is given.
 */
export function createAccountsService(deps: AccountsDeps) {
  const ctx = createAccountsContext(deps);
  const { db } = ctx;
  return {
    captcha: ctx.captcha,
    tokens: ctx.tokens,
    mail: ctx.mail,
    ...createRegistration(ctx),
    ...createSessions(ctx),
    ...createPasswordOperations(ctx),
    ...createMfa(ctx),
    ...createAdminOperations(ctx.core),
    findUserById: (id: string): Promise<User | undefined> => store.userById(db, id),
    /** Locks the user's row for the rest of the caller's transaction (serialises per-user limits). */
    lockUser: (tx: Db, id: string): Promise<User | undefined> => store.userById(tx, id, { forUpdate: true }),
    /** For long-lived responses (SSE) that re-check their access: which users are still active. */
    activeUserIds: (ids: readonly string[]) => store.activeUserIds(db, ids),
    /** Deletes rows that no longer serve anyone (the daily `accounts.prune` job). */
    pruneRecords: () => pruneAccountRecords(db),
  };
}
export type AccountsService = ReturnType<typeof createAccountsService>;
