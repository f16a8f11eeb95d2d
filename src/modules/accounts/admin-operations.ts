import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../platform/db/database.js';
import { conflict, notFound, validationFailed } from '../../platform/errors.js';
import type { TierName } from '../tiers/index.js';
import { assertAcceptablePassword, hashPassword } from './passwords.js';
import type { UserRole } from './domain.js';
import { searchUsers } from './search-store.js';
import * as store from './store.js';
import { type AccountsCore, type PublicUser, normalizeEmail, openAccount, publicUser } from './users.js';

/** `tx`: the caller's transaction, so a tier changes together with what pays for it. */
async function setUserTier(
  core: AccountsCore,
  userId: string,
  tier: TierName,
  tx: Db = core.db,
): Promise<void> {
  if (!(await store.updateUser(tx, userId, { tier }))) throw notFound('User');
}

/**
 * Suspends at once: the authentication hook loads the user on every request, so each later
 * request of theirs (session, token or API key) is refused with 403. Sessions are kept so that
 * unsuspending restores them; the refusal does not depend on them.
 */
async function suspendUser(
  core: AccountsCore,
  userId: string,
  actorId?: string | null,
  reason?: string,
  ip?: string | null,
): Promise<void> {
  await setStatus(core, userId, 'suspended', { actorId, reason, ip });
}

async function unsuspendUser(
  core: AccountsCore,
  userId: string,
  actorId?: string | null,
  reason?: string,
  ip?: string | null,
): Promise<void> {
  await setStatus(core, userId, 'active', { actorId, reason, ip });
}

/** The status change and its audit entry commit together. */
async function setStatus(
  core: AccountsCore,
  userId: string,
  status: 'active' | 'suspended',
  by: { actorId?: string | null; reason?: string; ip?: string | null },
): Promise<void> {
  await core.db.transaction(async (tx) => {
    if (!(await store.updateUser(tx, userId, { status }))) throw notFound('User');
    await core.audit.record(tx, {
      actorId: by.actorId,
      action: status === 'suspended' ? 'user.suspended' : 'user.unsuspended',
      subjectType: 'user',
      subjectId: userId,
      ip: by.ip,
      details: by.reason ? { reason: by.reason } : {},
    });
  });
}

async function setUserRole(core: AccountsCore, userId: string, role: UserRole): Promise<void> {
  if (!(await store.updateUser(core.db, userId, { role }))) throw notFound('User');
}

export type AdminProvisioning =
  | { outcome: 'created'; user: PublicUser; password: string }
  | { outcome: 'promoted'; user: PublicUser }
  | { outcome: 'already_admin'; user: PublicUser };

/** A random password far beyond any guessing: 32 characters of base64url (192 bits). */
export const generateStrongPassword = () => randomBytes(24).toString('base64url');

/** The address is taken: promotes its account (locked for the rest of `tx`) unless it is an admin already. */
async function promoteExisting(core: AccountsCore, tx: Db, email: string): Promise<AdminProvisioning> {
  const existing = await store.userByEmail(tx, email);
  if (!existing) throw conflict('admin_not_created', 'The account could not be created; try again.');
  const locked = (await store.userById(tx, existing.id, { forUpdate: true }))!;
  if (locked.role === 'admin') return { outcome: 'already_admin', user: publicUser(locked) };
  const promoted = (await store.updateUser(tx, locked.id, { role: 'admin' }))!;
  await core.audit.record(tx, {
    action: 'user.role_changed',
    subjectType: 'user',
    subjectId: promoted.id,
    details: { role: 'admin', previousRole: locked.role, via: 'admin_cli' },
  });
  return { outcome: 'promoted', user: publicUser(promoted) };
}

/**
 * `npm run admin:create`: makes the account of `email` an administrator. A new account gets a
 * generated password (returned once, never stored in clear) and a confirmed e-mail address; an
 * existing one is promoted and keeps its password. Admin routes still need TOTP MFA turned on.
 */
export async function provisionAdmin(core: AccountsCore, rawEmail: string): Promise<AdminProvisioning> {
  const parsed = z.string().trim().min(3).max(254).email().safeParse(rawEmail);
  if (!parsed.success) throw validationFailed('That is not an e-mail address.', { field: 'email' });
  const email = normalizeEmail(parsed.data);
  const password = generateStrongPassword();
  assertAcceptablePassword(password, email);
  const passwordHash = await hashPassword(password);
  return core.db.transaction(async (tx) => {
    const created = await openAccount(
      core,
      tx,
      { email, passwordHash, role: 'admin', emailConfirmedAt: new Date() },
      { ip: null, via: 'admin_cli' },
    );
    if (!created) return promoteExisting(core, tx, email);
    await core.audit.record(tx, {
      action: 'user.role_changed',
      subjectType: 'user',
      subjectId: created.id,
      details: { role: 'admin', via: 'admin_cli' },
    });
    return { outcome: 'created', user: publicUser(created), password };
  });
}

/** What administrators (and other modules acting for them) do to a user's account. */
export function createAdminOperations(core: AccountsCore) {
  return {
    setUserTier: (userId: string, tier: TierName, tx?: Db) => setUserTier(core, userId, tier, tx),
    suspendUser: (userId: string, actorId?: string | null, reason?: string, ip?: string | null) =>
      suspendUser(core, userId, actorId, reason, ip),
    unsuspendUser: (userId: string, actorId?: string | null, reason?: string, ip?: string | null) =>
      unsuspendUser(core, userId, actorId, reason, ip),
    /** Admin search: by id or e-mail fragment, ordered by e-mail, `after` the last e-mail of a page. */
    searchUsers: (query: { q?: string; after?: string; limit: number }) => searchUsers(core.db, query),
    setUserRole: (userId: string, role: UserRole) => setUserRole(core, userId, role),
    provisionAdmin: (email: string) => provisionAdmin(core, email),
  };
}
