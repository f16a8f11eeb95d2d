import { AppError, unauthenticated, validationFailed } from '../../platform/errors.js';
import type { AccountsContext, RequestContext } from './context.js';
import { emailSubject } from './domain.js';
import { wrongCredentials } from './login.js';
import { assertAcceptablePassword, hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { hashToken } from './secrets.js';
import * as store from './store.js';
import { type User, normalizeEmail } from './users.js';

const invalidResetLink = () =>
  new AppError(400, 'invalid_token', 'This reset link is invalid, expired or already used.');

/** Forgotten passwords (a link by e-mail) and signed-in password changes. */
export function createPasswordOperations(ctx: AccountsContext) {
  const { db, captcha, mail } = ctx;

  /**
   * Always the same answer and the same work: the request only queues the job, which looks the
   * address up and sends a reset link only when it has an active account.
   */
  async function forgotPassword(
    input: { email: string; captcha?: string | undefined },
    context: RequestContext,
  ) {
    await captcha.verify(input.captcha);
    await mail.enqueue({ kind: 'password_reset', email: normalizeEmail(input.email), ip: context.ip });
  }

  async function resetPassword(
    input: { token: string; password: string; captcha?: string | undefined },
    context: RequestContext,
  ) {
    await captcha.verify(input.captcha);
    const tokenHash = hashToken(input.token);
    const pending = await store.liveEmailToken(db, 'password_reset', tokenHash);
    if (!pending) throw invalidResetLink();
    const user = await store.userById(db, pending.userId);
    if (!user) throw invalidResetLink();
    assertAcceptablePassword(input.password, user.email);
    const passwordHash = await hashPassword(input.password);
    await db.transaction(async (tx) => {
      const userId = await store.consumeEmailToken(tx, 'password_reset', tokenHash);
      if (!userId) throw invalidResetLink();
      await store.updateUser(tx, userId, { passwordHash, passwordChangedAt: new Date() });
      await store.revokeUserSessions(tx, userId, 'password_reset');
      await store.clearFailures(tx, emailSubject(user.email));
      await ctx.audit.record(tx, {
        actorId: userId,
        action: 'password.reset',
        subjectType: 'user',
        subjectId: userId,
        ip: context.ip,
      });
    });
  }

  async function requireCurrentPassword(user: User, presented: string, context: RequestContext) {
    if (await verifyPassword(user.passwordHash, presented)) return;
    await ctx.audit.record(db, {
      actorId: user.id,
      action: 'password.change_failed',
      subjectType: 'user',
      subjectId: user.id,
      ip: context.ip,
      details: { reason: 'wrong_current_password' },
    });
    throw wrongCredentials('The current password is incorrect.');
  }

  /** Stores the new password and signs every session but `keptSessionId` out; how many ended. */
  async function replacePassword(
    user: User,
    newPassword: string,
    keptSessionId: string,
    context: RequestContext,
  ) {
    const passwordHash = await hashPassword(newPassword);
    return db.transaction(async (tx) => {
      await store.updateUser(tx, user.id, { passwordHash, passwordChangedAt: new Date() });
      const revoked = await store.revokeUserSessions(tx, user.id, 'password_changed', keptSessionId);
      await store.clearFailures(tx, emailSubject(user.email));
      await ctx.audit.record(tx, {
        actorId: user.id,
        action: 'password.changed',
        subjectType: 'user',
        subjectId: user.id,
        ip: context.ip,
        details: { otherSessionsRevoked: revoked },
      });
      return revoked;
    });
  }

  /**
   * A signed-in password change: the current password proves it is the owner (a stolen access
   * token alone is not enough); every other session is signed out, this one stays.
   */
  async function changePassword(
    userId: string,
    sessionId: string,
    input: { currentPassword: string; newPassword: string; otp?: string | undefined },
    context: RequestContext,
  ): Promise<{ sessionsRevoked: number }> {
    const user = await store.userById(db, userId);
    if (!user) throw unauthenticated();
    await requireCurrentPassword(user, input.currentPassword, context);
    // With two-factor authentication on, a stolen session and password are not enough.
    await ctx.requireSecondFactor(user, input.otp);
    const problem =
      passwordProblem(input.newPassword, user.email) ??
      (input.newPassword === input.currentPassword
        ? 'The new password must differ from the current one.'
        : undefined);
    if (problem) throw validationFailed(problem, { field: 'newPassword' });
    const sessionsRevoked = await replacePassword(user, input.newPassword, sessionId, context);
    await mail.enqueue({
      kind: 'security_notice',
      userId,
      event: 'password_changed',
      at: new Date().toISOString(),
      ip: context.ip,
      userAgent: context.userAgent,
    });
    return { sessionsRevoked };
  }

  return { forgotPassword, resetPassword, changePassword };
}
