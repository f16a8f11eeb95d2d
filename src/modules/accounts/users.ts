import type { Db } from '../../platform/db/database.js';
import type { AuditService } from '../audit/index.js';
import type { LedgerService } from '../ledger/index.js';
import * as store from './store.js';

export type User = store.UserRow;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** What a user may see about themselves: no hash, no MFA secret. */
export function publicUser(user: User) {
  return {
    id: user.id,
    email: user.email,
    emailConfirmed: user.emailConfirmedAt !== null,
    role: user.role,
    status: user.status,
    tier: user.tier,
    mfaEnabled: user.mfaEnabledAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}
export type PublicUser = ReturnType<typeof publicUser>;

/** What the account operations outside a request need: the database, the ledger and the audit log. */
export interface AccountsCore {
  db: Db;
  ledger: LedgerService;
  audit: AuditService;
}

/**
 * Creates a user with their wallet and the sign-up credit, in the caller's transaction; undefined
 * (nothing created) when the address is taken.
 */
export async function openAccount(
  core: AccountsCore,
  tx: Db,
  values: Parameters<typeof store.insertUser>[1],
  audit: { ip: string | null; via?: string },
): Promise<User | undefined> {
  const created = await store.insertUser(tx, values);
  if (!created) return undefined;
  await core.ledger.openAccountWallets(tx, created.id);
  await core.audit.record(tx, {
    actorId: created.id,
    action: 'user.registered',
    subjectType: 'user',
    subjectId: created.id,
    ip: audit.ip,
    details: audit.via ? { via: audit.via } : {},
  });
  return created;
}
