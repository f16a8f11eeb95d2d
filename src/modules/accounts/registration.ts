import { randomUUID } from 'node:crypto';
import { TransactionRollbackError } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { AccountsContext, RequestContext } from './context.js';
import { assertAcceptablePassword, hashPassword } from './passwords.js';
import { hashToken } from './secrets.js';
import * as store from './store.js';
import { type PublicUser, normalizeEmail, openAccount, publicUser } from './users.js';

/** Sign-up and e-mail confirmation. */
export function createRegistration(ctx: AccountsContext) {
  const { db, core, captcha, mail } = ctx;

  /**
   * The address is taken: open a throwaway account and roll it back, so that this answer costs
   * what a real sign-up costs (the same statements; a commit that writes).
   */
  async function openDecoyAccount(tx: Db, passwordHash: string, context: RequestContext) {
    await tx
      .transaction(async (decoy) => {
        const email = `decoy-${randomUUID()}@decoy.invalid`;
        await openAccount(core, decoy, { email, passwordHash }, context);
        decoy.rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof TransactionRollbackError)) throw error;
      });
  }

  /**
   * Same answer and the same work whether or not the address is taken (hash, insert attempt,
   * one queued mail), so sign-up reveals accounts neither by its answer nor by its timing.
   */
  async function register(
    input: { email: string; password: string; captcha?: string | undefined },
    context: RequestContext,
  ) {
    await captcha.verify(input.captcha);
    const email = normalizeEmail(input.email);
    assertAcceptablePassword(input.password, email);
    const passwordHash = await hashPassword(input.password);
    await db.transaction(async (tx) => {
      if (await openAccount(core, tx, { email, passwordHash }, { ip: context.ip })) return;
      await openDecoyAccount(tx, passwordHash, context);
      await ctx.audit.record(tx, {
        action: 'user.register_existing',
        subjectType: 'email',
        subjectId: email,
        ip: context.ip,
      });
    });
    // For a taken address the job finds nothing to confirm (or re-sends the owner's own link).
    await mail.enqueue({ kind: 'email_confirmation', email });
    return { email };
  }

  /** Always the same answer and work: the queued job decides whether anything is sent. */
  async function resendConfirmation(input: { email: string }) {
    await mail.enqueue({ kind: 'email_confirmation', email: normalizeEmail(input.email) });
  }

  async function confirmEmail(token: string) {
    const userId = await store.consumeEmailToken(db, 'confirm_email', hashToken(token));
    if (!userId)
      throw new AppError(400, 'invalid_token', 'This confirmation link is invalid, expired or already used.');
    const user = await store.updateUser(db, userId, { emailConfirmedAt: new Date() });
    await ctx.audit.record(db, {
      actorId: userId,
      action: 'user.email_confirmed',
      subjectType: 'user',
      subjectId: userId,
    });
    return publicUser(user!);
  }

  /**
   * Opens an account directly, without captcha or confirmation mail (seeding benchmarks and
   * tooling); undefined when the address is taken.
   */
  async function createUser(input: { email: string; password: string }): Promise<PublicUser | undefined> {
    const email = normalizeEmail(input.email);
    const passwordHash = await hashPassword(input.password);
    const created = await db.transaction((tx) =>
      openAccount(core, tx, { email, passwordHash }, { ip: null, via: 'seed' }),
    );
    return created && publicUser(created);
  }

  return { register, resendConfirmation, confirmEmail, createUser };
}
