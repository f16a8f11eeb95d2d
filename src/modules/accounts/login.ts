import { AppError, forbidden } from '../../platform/errors.js';
import type { AuditEvent } from '../audit/index.js';
import { captchaRequired } from './captcha.js';
import type { AccountsContext, IssuedTokens, RequestContext } from './context.js';
import {
  CAPTCHA_AFTER_CLIENT_FAILURES,
  CAPTCHA_AFTER_FAILURES,
  FAILURE_WINDOW_SECONDS,
  captchaLevelFor,
  captchaReason,
  clientSubject,
  emailSubject,
} from './domain.js';
import { burnPasswordCheck, verifyPassword } from './passwords.js';
import * as store from './store.js';
import { type User, normalizeEmail } from './users.js';

/**
 * The one answer to a wrong password and to an unknown address alike, so that sign-in does not
 * reveal which addresses have accounts; a password change answers a wrong current password the same.
 */
export const wrongCredentials = (message = 'The e-mail address or password is incorrect.') =>
  new AppError(401, 'invalid_credentials', message);

/** Who a sign-in attempt counts against: the address always, the client when it has one. */
interface Attempt {
  email: string;
  accountSubject: string;
  client: string | undefined;
  context: RequestContext;
}

/** Signing in, with the captcha that failures on an account or from a client ask for. */
export function createLogin(ctx: AccountsContext) {
  const { db, captcha } = ctx;

  /**
   * A solved captcha always goes on to the password check: the lockout never locks anyone out.
   * Failures on the account only make the captcha it asks for harder (bounded).
   */
  async function requireCaptchaWhenFlagged(attempt: Attempt, solution: string | undefined) {
    const { accountSubject, client, context } = attempt;
    const subjects = client ? [accountSubject, client] : [accountSubject];
    const counts = await store.failuresOf(db, subjects, FAILURE_WINDOW_SECONDS);
    const failures = counts.get(accountSubject) ?? 0;
    const clientFailures = client ? (counts.get(client) ?? 0) : 0;
    const reason = captchaReason({ account: failures, client: clientFailures });
    if (!reason) return;
    const level = reason === 'account' ? captchaLevelFor(failures) : 0;
    if (!solution) {
      await ctx.audit.record(db, {
        action: 'login.captcha_required',
        subjectType: reason === 'account' ? 'email' : 'ip',
        subjectId: reason === 'account' ? attempt.email : context.ip,
        ip: context.ip,
        details: { reason, failures, clientFailures, level },
      });
      throw captchaRequired(
        reason === 'account'
          ? 'Too many failed sign-in attempts for this account: please solve the captcha.'
          : 'Too many failed sign-in attempts from your network: please solve the captcha.',
        { captchaLevel: level },
      );
    }
    await captcha.verify(solution, { minLevel: level });
  }

  /** Counts a failure against the address and the client; audits the thresholds they cross. */
  async function recordFailure(attempt: Attempt, user: User | undefined, why: string) {
    const { email, accountSubject, client, context } = attempt;
    const count = await store.recordFailure(db, accountSubject, FAILURE_WINDOW_SECONDS);
    const clientCount = client ? await store.recordFailure(db, client, FAILURE_WINDOW_SECONDS) : 0;
    // Both entries are about the address (whether or not it has an account), by its user if any.
    const about: AuditEvent = {
      action: 'login.failed',
      actorId: user?.id ?? null,
      subjectType: 'email',
      subjectId: email,
      ip: context.ip,
    };
    await ctx.audit.record(db, {
      ...about,
      details: { reason: why, failures: count, clientFailures: clientCount },
    });
    if (count === CAPTCHA_AFTER_FAILURES) {
      await ctx.audit.record(db, {
        ...about,
        action: 'login.lockout',
        details: { failures: count, requires: 'captcha' },
      });
    }
    if (clientCount === CAPTCHA_AFTER_CLIENT_FAILURES) {
      await ctx.audit.record(db, {
        action: 'login.client_flagged',
        subjectType: 'ip',
        subjectId: context.ip,
        ip: context.ip,
        details: { failures: clientCount, requires: 'captcha' },
      });
    }
  }

  async function login(
    input: { email: string; password: string; captcha?: string | undefined; otp?: string | undefined },
    context: RequestContext,
  ): Promise<IssuedTokens> {
    const email = normalizeEmail(input.email);
    const attempt: Attempt = {
      email,
      accountSubject: emailSubject(email),
      client: context.ip ? clientSubject(context.ip) : undefined,
      context,
    };
    await requireCaptchaWhenFlagged(attempt, input.captcha);
    const user = await store.userByEmail(db, email);
    const passwordOk = user
      ? await verifyPassword(user.passwordHash, input.password)
      : (await burnPasswordCheck(input.password), false);
    if (!user || !passwordOk) {
      await recordFailure(attempt, user, user ? 'wrong_password' : 'unknown_email');
      throw wrongCredentials();
    }
    if (user.status !== 'active') throw forbidden('This account is suspended.');
    await ctx.requireSecondFactor(user, input.otp, () => recordFailure(attempt, user, 'wrong_otp'));
    // Only the account's count: a client's count is not cleared by signing in to one account
    // (else an attacker's own account would reset the flag); it runs out with the window.
    await store.clearFailures(db, attempt.accountSubject);
    const issued = await ctx.startSession(user, context);
    await ctx.audit.record(db, {
      actorId: user.id,
      action: 'login.succeeded',
      subjectType: 'session',
      subjectId: issued.sessionId,
      ip: context.ip,
    });
    return issued;
  }

  return { login };
}
