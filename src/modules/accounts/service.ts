import { randomBytes, randomUUID } from 'node:crypto';
import { TransactionRollbackError } from 'drizzle-orm';
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import { z } from 'zod';
import type { Db } from '../../platform/db/database.js';
import {
  AppError,
  conflict,
  forbidden,
  notFound,
  unauthenticated,
  validationFailed,
} from '../../platform/errors.js';
import { type RateLimiter, createRateLimiter, rateLimited } from '../../platform/http/rate-limit.js';
import type { Logger } from '../../platform/logger.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import type { Config } from '../../platform/config.js';
import type { Jobs } from '../../platform/jobs.js';
import type { AuditService } from '../audit/index.js';
import type { LedgerService } from '../ledger/index.js';
import { ACCESS_TOKEN_SECONDS, type AccessTokens, createAccessTokens } from './access-tokens.js';
import { type Captcha, captchaRequired, createCaptcha } from './captcha.js';
import {
  CAPTCHA_AFTER_CLIENT_FAILURES,
  CAPTCHA_AFTER_FAILURES,
  FAILURE_WINDOW_SECONDS,
  captchaLevelFor,
  captchaReason,
  clientSubject,
  emailSubject,
} from './domain.js';
import {
  assertAcceptablePassword,
  burnPasswordCheck,
  hashPassword,
  passwordProblem,
  verifyPassword,
} from './passwords.js';
import { createAccountMail } from './mail.js';
import { deriveKey, hashToken, newOpaqueToken, openSecret, sealSecret } from './secrets.js';
import { pruneAccountRecords } from './pruning.js';
import * as store from './store.js';

export type User = store.UserRow;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 60 * 60;
export { CAPTCHA_AFTER_CLIENT_FAILURES, CAPTCHA_AFTER_FAILURES } from './domain.js';
/**
 * Guesses of a secret a signed-in user must know (current password, authenticator code): per
 * user, across sessions and addresses. Every TOTP check (sign-in, MFA setup and disable, password
 * change) counts against one counter of this size.
 */
export const SECRET_CHECKS_PER_USER = { points: 5, durationSeconds: 15 * 60 } as const;
const TOTP_CHECKS = 'totp-user';

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** What a user may see about themselves: no hash, no MFA secret. */
export function publicUser(user: User) {
  return {
    id: user.id,
    email: user.email,
    emailConfirmed: user.emailConfirmedAt !== null,
    role: user.role as 'user' | 'admin',
    status: user.status as 'active' | 'suspended',
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

/** `tx`: the caller's transaction, so a tier changes together with what pays for it. */
async function setUserTier(core: AccountsCore, userId: string, tier: string, tx = core.db): Promise<void> {
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
): Promise<void> {
  if (!(await store.updateUser(core.db, userId, { status: 'suspended' }))) throw notFound('User');
  await core.audit.record(core.db, {
    actorId,
    action: 'user.suspended',
    subjectType: 'user',
    subjectId: userId,
    details: reason ? { reason } : {},
  });
}

async function unsuspendUser(core: AccountsCore, userId: string, actorId?: string | null): Promise<void> {
  if (!(await store.updateUser(core.db, userId, { status: 'active' }))) throw notFound('User');
  await core.audit.record(core.db, {
    actorId,
    action: 'user.unsuspended',
    subjectType: 'user',
    subjectId: userId,
  });
}

async function setUserRole(core: AccountsCore, userId: string, role: 'user' | 'admin'): Promise<void> {
  if (!(await store.updateUser(core.db, userId, { role }))) throw notFound('User');
}

/**
 * Creates a user with their wallet and the sign-up credit, in the caller's transaction; undefined
 * (nothing created) when the address is taken.
 */
async function openAccount(
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

export type AdminProvisioning =
  | { outcome: 'created'; user: PublicUser; password: string }
  | { outcome: 'promoted'; user: PublicUser }
  | { outcome: 'already_admin'; user: PublicUser };

/** A random password far beyond any guessing: 32 characters of base64url (192 bits). */
export const generateStrongPassword = () => randomBytes(24).toString('base64url');

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
    if (created) {
      await core.audit.record(tx, {
        action: 'user.role_changed',
        subjectType: 'user',
        subjectId: created.id,
        details: { role: 'admin', via: 'admin_cli' },
      });
      return { outcome: 'created' as const, user: publicUser(created), password };
    }
    const existing = await store.userByEmail(tx, email);
    if (!existing) throw conflict('admin_not_created', 'The account could not be created; try again.');
    const locked = (await store.userById(tx, existing.id, { forUpdate: true }))!;
    if (locked.role === 'admin') return { outcome: 'already_admin' as const, user: publicUser(locked) };
    const promoted = (await store.updateUser(tx, locked.id, { role: 'admin' }))!;
    await core.audit.record(tx, {
      action: 'user.role_changed',
      subjectType: 'user',
      subjectId: promoted.id,
      details: { role: 'admin', previousRole: locked.role, via: 'admin_cli' },
    });
    return { outcome: 'promoted' as const, user: publicUser(promoted) };
  });
}

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  sessionId: string;
  user: PublicUser;
}

const wrongCredentials = () => unauthenticated('The e-mail address or password is incorrect.');

export type AccountsService = ReturnType<typeof createAccountsService>;

export interface AccountsDeps {
  db: Db;
  config: Pick<Config, 'appSecret' | 'publicUrl' | 'rateLimit'>;
  logger: Logger;
  mailer: Mailer | undefined;
  /** Account e-mails go through its queue; without one they are sent in the background. */
  jobs: Jobs | undefined;
  /** The application's limiter (shared through Redis); a process-local one when absent. */
  rateLimiter?: RateLimiter;
  ledger: LedgerService;
  audit: AuditService;
}

/** The sign-up, sign-in, session and MFA use cases. */
export function createAccountsService(deps: AccountsDeps) {
  const { db, config } = deps;
  const core: AccountsCore = { db, ledger: deps.ledger, audit: deps.audit };
  const logger: Logger = deps.logger;
  const captcha: Captcha = createCaptcha({ appSecret: config.appSecret, db });
  const tokens: AccessTokens = createAccessTokens(config.appSecret);
  const mfaKey = deriveKey(config.appSecret, 'totp-secret-encryption');
  const mail = createAccountMail({
    config,
    db,
    jobs: deps.jobs,
    mailer: deps.mailer,
    logger,
    audit: deps.audit,
  });
  const limiter = deps.rateLimiter ?? createRateLimiter({ keyPrefix: config.rateLimit.keyPrefix, logger });

  async function startSession(user: User, context: RequestContext): Promise<IssuedTokens> {
    const refreshToken = newOpaqueToken('nmr_');
    const session = await db.transaction(async (tx) => {
      const created = await store.insertSession(tx, {
        userId: user.id,
        userAgent: context.userAgent?.slice(0, 300) ?? null,
        ip: context.ip,
        expiresAt: new Date(Date.now() + REFRESH_TOKEN_SECONDS * 1000),
      });
      await store.insertRefreshToken(tx, created.id, hashToken(refreshToken));
      await store.updateUser(tx, user.id, { lastLoginAt: new Date() });
      return created;
    });
    const accessToken = await tokens.sign(user.id, session.id);
    return {
      accessToken,
      refreshToken,
      expiresIn: ACCESS_TOKEN_SECONDS,
      sessionId: session.id,
      user: publicUser(user),
    };
  }

  /**
   * Accepts a TOTP code once (replay refused through the last accepted time step). Every check
   * counts against the user's budget first, so a million codes cannot be tried from any route.
   */
  async function checkTotp(user: User, sealed: string, otp: string): Promise<number | undefined> {
    const decision = await limiter.consume(
      TOTP_CHECKS,
      `user:${user.id}`,
      SECRET_CHECKS_PER_USER.points,
      SECRET_CHECKS_PER_USER.durationSeconds,
    );
    if (!decision.allowed) throw rateLimited(decision.resetSeconds);
    if (!/^\d{6}$/.test(otp)) return undefined;
    const secret = openSecret(mfaKey, sealed);
    const result = await verifyTotp({
      secret,
      token: otp,
      epochTolerance: 30,
      ...(user.mfaLastTimeStep !== null ? { afterTimeStep: user.mfaLastTimeStep } : {}),
    });
    // TOTP results carry `timeStep`; the union type also admits HOTP's shape without it.
    return result.valid && 'timeStep' in result ? result.timeStep : undefined;
  }

  return {
    captcha,
    tokens,

    /**
     * Same answer and the same work whether or not the address is taken (hash, insert attempt,
     * one queued mail), so sign-up reveals accounts neither by its answer nor by its timing.
     */
    async register(
      input: { email: string; password: string; captcha?: string | undefined },
      context: RequestContext,
    ) {
      await captcha.verify(input.captcha);
      const email = normalizeEmail(input.email);
      assertAcceptablePassword(input.password, email);
      const passwordHash = await hashPassword(input.password);
      await db.transaction(async (tx) => {
        if (await openAccount(core, tx, { email, passwordHash }, { ip: context.ip })) return;
        // The address is taken: open a throwaway account and roll it back, so that this answer
        // costs what a real sign-up costs (the same statements; a commit that writes).
        await tx
          .transaction(async (decoy) => {
            await openAccount(
              core,
              decoy,
              { email: `decoy-${randomUUID()}@decoy.invalid`, passwordHash },
              context,
            );
            decoy.rollback();
          })
          .catch((error: unknown) => {
            if (!(error instanceof TransactionRollbackError)) throw error;
          });
        await deps.audit.record(tx, {
          action: 'user.register_existing',
          subjectType: 'email',
          subjectId: email,
          ip: context.ip,
        });
      });
      // For a taken address the job finds nothing to confirm (or re-sends the owner's own link).
      await mail.enqueue({ kind: 'email_confirmation', email });
      return { email };
    },

    /** Always the same answer and work: the queued job decides whether anything is sent. */
    async resendConfirmation(input: { email: string }) {
      await mail.enqueue({ kind: 'email_confirmation', email: normalizeEmail(input.email) });
    },

    async confirmEmail(token: string) {
      const userId = await store.consumeEmailToken(db, 'confirm_email', hashToken(token));
      if (!userId)
        throw new AppError(
          400,
          'invalid_token',
          'This confirmation link is invalid, expired or already used.',
        );
      const user = await store.updateUser(db, userId, { emailConfirmedAt: new Date() });
      await deps.audit.record(db, {
        actorId: userId,
        action: 'user.email_confirmed',
        subjectType: 'user',
        subjectId: userId,
      });
      return publicUser(user!);
    },

    async login(
      input: { email: string; password: string; captcha?: string | undefined; otp?: string | undefined },
      context: RequestContext,
    ): Promise<IssuedTokens> {
      const email = normalizeEmail(input.email);
      const accountSubject = emailSubject(email);
      const client = context.ip ? clientSubject(context.ip) : undefined;
      const counts = await store.failuresOf(
        db,
        client ? [accountSubject, client] : [accountSubject],
        FAILURE_WINDOW_SECONDS,
      );
      const failures = counts.get(accountSubject) ?? 0;
      const clientFailures = client ? (counts.get(client) ?? 0) : 0;
      const reason = captchaReason({ account: failures, client: clientFailures });
      if (reason) {
        // A solved captcha always goes on to the password check: the lockout never locks anyone
        // out. Failures on the account only make the captcha it asks for harder (bounded).
        const level = reason === 'account' ? captchaLevelFor(failures) : 0;
        if (!input.captcha) {
          await deps.audit.record(db, {
            action: 'login.captcha_required',
            subjectType: reason === 'account' ? 'email' : 'ip',
            subjectId: reason === 'account' ? email : context.ip,
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
        await captcha.verify(input.captcha, { minLevel: level });
      }
      const user = await store.userByEmail(db, email);
      const passwordOk = user
        ? await verifyPassword(user.passwordHash, input.password)
        : (await burnPasswordCheck(input.password), false);
      const fail = async (why: string) => {
        const count = await store.recordFailure(db, accountSubject, FAILURE_WINDOW_SECONDS);
        const clientCount = client ? await store.recordFailure(db, client, FAILURE_WINDOW_SECONDS) : 0;
        await deps.audit.record(db, {
          actorId: user?.id ?? null,
          action: 'login.failed',
          subjectType: 'email',
          subjectId: email,
          ip: context.ip,
          details: { reason: why, failures: count, clientFailures: clientCount },
        });
        if (count === CAPTCHA_AFTER_FAILURES) {
          await deps.audit.record(db, {
            actorId: user?.id ?? null,
            action: 'login.lockout',
            subjectType: 'email',
            subjectId: email,
            ip: context.ip,
            details: { failures: count, requires: 'captcha' },
          });
        }
        if (clientCount === CAPTCHA_AFTER_CLIENT_FAILURES) {
          await deps.audit.record(db, {
            action: 'login.client_flagged',
            subjectType: 'ip',
            subjectId: context.ip,
            ip: context.ip,
            details: { failures: clientCount, requires: 'captcha' },
          });
        }
      };
      if (!user || !passwordOk) {
        await fail(user ? 'wrong_password' : 'unknown_email');
        throw wrongCredentials();
      }
      if (user.status !== 'active') throw forbidden('This account is suspended.');
      if (user.mfaSecret) {
        if (!input.otp)
          throw new AppError(401, 'mfa_required', 'Enter the 6-digit code from your authenticator app.');
        const step = await checkTotp(user, user.mfaSecret, input.otp);
        if (step === undefined) {
          await fail('wrong_otp');
          throw new AppError(401, 'mfa_invalid', 'The authentication code is incorrect or was already used.');
        }
        await store.updateUser(db, user.id, { mfaLastTimeStep: step });
      }
      // Only the account's count: a client's count is not cleared by signing in to one account
      // (else an attacker's own account would reset the flag); it runs out with the window.
      await store.clearFailures(db, accountSubject);
      const issued = await startSession(user, context);
      await deps.audit.record(db, {
        actorId: user.id,
        action: 'login.succeeded',
        subjectType: 'session',
        subjectId: issued.sessionId,
        ip: context.ip,
      });
      return issued;
    },

    /** Rotates a refresh token; presenting a rotated one again revokes its whole family. */
    async refresh(refreshToken: string, context: RequestContext): Promise<IssuedTokens> {
      const newToken = newOpaqueToken('nmr_');
      const outcome = await db.transaction(async (tx) => {
        const found = await store.refreshTokenForUpdate(tx, hashToken(refreshToken));
        if (!found) return { kind: 'unknown' as const };
        const { token, session } = found;
        if (token.rotatedAt !== null) {
          const revoked = await store.revokeSession(tx, session.id, 'refresh_token_reuse');
          if (revoked) {
            await deps.audit.record(tx, {
              actorId: session.userId,
              action: 'session.refresh_reuse',
              subjectType: 'session',
              subjectId: session.id,
              ip: context.ip,
            });
          }
          return { kind: 'reused' as const };
        }
        if (session.revokedAt !== null || session.expiresAt.getTime() <= Date.now())
          return { kind: 'ended' as const };
        // Refused before rotating: a suspended user's token stays as it was (usable once unsuspended).
        const owner = await store.userById(tx, session.userId);
        if (!owner) return { kind: 'unknown' as const };
        if (owner.status !== 'active') return { kind: 'suspended' as const };
        await store.markRotated(tx, token.id);
        await store.insertRefreshToken(tx, session.id, hashToken(newToken));
        await store.touchSession(tx, session.id, context.ip);
        return { kind: 'rotated' as const, session };
      });
      if (outcome.kind === 'suspended') throw forbidden('This account is suspended.');
      if (outcome.kind !== 'rotated')
        throw unauthenticated('The refresh token is invalid, expired or revoked. Please sign in again.');
      const user = await store.userById(db, outcome.session.userId);
      if (!user) throw unauthenticated();
      if (user.status !== 'active') throw forbidden('This account is suspended.');
      const accessToken = await tokens.sign(user.id, outcome.session.id);
      return {
        accessToken,
        refreshToken: newToken,
        expiresIn: ACCESS_TOKEN_SECONDS,
        sessionId: outcome.session.id,
        user: publicUser(user),
      };
    },

    /** Ends the session a refresh token belongs to (when the access token is not at hand). */
    async sessionIdOfRefreshToken(refreshToken: string): Promise<string | undefined> {
      const found = await store.refreshTokenForUpdate(db, hashToken(refreshToken));
      return found?.session.id;
    },

    async logout(sessionId: string, userId: string | null, context: RequestContext) {
      const session = await store.sessionById(db, sessionId);
      if (!session || (userId && session.userId !== userId)) return;
      if (await store.revokeSession(db, sessionId, 'logout')) {
        await deps.audit.record(db, {
          actorId: session.userId,
          action: 'session.logout',
          subjectType: 'session',
          subjectId: sessionId,
          ip: context.ip,
        });
      }
    },

    async listSessions(userId: string, currentSessionId: string | undefined) {
      const rows = await store.liveSessionsOf(db, userId);
      return rows.map((s) => ({
        id: s.id,
        createdAt: s.createdAt.toISOString(),
        lastUsedAt: s.lastUsedAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        ip: s.ip,
        userAgent: s.userAgent,
        current: s.id === currentSessionId,
      }));
    },

    async revokeSessionOf(userId: string, sessionId: string, context: RequestContext) {
      if (!(await store.revokeSession(db, sessionId, 'revoked_by_user', userId))) throw notFound('Session');
      await deps.audit.record(db, {
        actorId: userId,
        action: 'session.revoked',
        subjectType: 'session',
        subjectId: sessionId,
        ip: context.ip,
      });
    },

    /**
     * Always the same answer and the same work: the request only queues the job, which looks the
     * address up and sends a reset link only when it has an active account.
     */
    async forgotPassword(input: { email: string; captcha?: string | undefined }, context: RequestContext) {
      await captcha.verify(input.captcha);
      await mail.enqueue({ kind: 'password_reset', email: normalizeEmail(input.email), ip: context.ip });
    },

    async resetPassword(
      input: { token: string; password: string; captcha?: string | undefined },
      context: RequestContext,
    ) {
      await captcha.verify(input.captcha);
      const invalid = () =>
        new AppError(400, 'invalid_token', 'This reset link is invalid, expired or already used.');
      const tokenHash = hashToken(input.token);
      const pending = await store.liveEmailToken(db, 'password_reset', tokenHash);
      if (!pending) throw invalid();
      const user = await store.userById(db, pending.userId);
      if (!user) throw invalid();
      assertAcceptablePassword(input.password, user.email);
      const passwordHash = await hashPassword(input.password);
      await db.transaction(async (tx) => {
        const userId = await store.consumeEmailToken(tx, 'password_reset', tokenHash);
        if (!userId) throw invalid();
        await store.updateUser(tx, userId, { passwordHash, passwordChangedAt: new Date() });
        await store.revokeUserSessions(tx, userId, 'password_reset');
        await store.clearFailures(tx, emailSubject(user.email));
        await deps.audit.record(tx, {
          actorId: userId,
          action: 'password.reset',
          subjectType: 'user',
          subjectId: userId,
          ip: context.ip,
        });
      });
    },

    /**
     * A signed-in password change: the current password proves it is the owner (a stolen access
     * token alone is not enough); every other session is signed out, this one stays.
     */
    async changePassword(
      userId: string,
      sessionId: string,
      input: { currentPassword: string; newPassword: string; otp?: string | undefined },
      context: RequestContext,
    ): Promise<{ sessionsRevoked: number }> {
      const user = await store.userById(db, userId);
      if (!user) throw unauthenticated();
      if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
        await deps.audit.record(db, {
          actorId: userId,
          action: 'password.change_failed',
          subjectType: 'user',
          subjectId: userId,
          ip: context.ip,
          details: { reason: 'wrong_current_password' },
        });
        throw new AppError(401, 'invalid_credentials', 'The current password is incorrect.');
      }
      // With two-factor authentication on, a stolen session and password are not enough.
      if (user.mfaSecret) {
        if (!input.otp)
          throw new AppError(401, 'mfa_required', 'Enter the 6-digit code from your authenticator app.');
        const step = await checkTotp(user, user.mfaSecret, input.otp);
        if (step === undefined)
          throw new AppError(401, 'mfa_invalid', 'The authentication code is incorrect or was already used.');
        await store.updateUser(db, user.id, { mfaLastTimeStep: step });
      }
      const problem =
        passwordProblem(input.newPassword, user.email) ??
        (input.newPassword === input.currentPassword
          ? 'The new password must differ from the current one.'
          : undefined);
      if (problem) throw validationFailed(problem, { field: 'newPassword' });
      const passwordHash = await hashPassword(input.newPassword);
      const sessionsRevoked = await db.transaction(async (tx) => {
        await store.updateUser(tx, userId, { passwordHash, passwordChangedAt: new Date() });
        const revoked = await store.revokeUserSessions(tx, userId, 'password_changed', sessionId);
        await store.clearFailures(tx, emailSubject(user.email));
        await deps.audit.record(tx, {
          actorId: userId,
          action: 'password.changed',
          subjectType: 'user',
          subjectId: userId,
          ip: context.ip,
          details: { otherSessionsRevoked: revoked },
        });
        return revoked;
      });
      await mail.enqueue({
        kind: 'security_notice',
        userId,
        event: 'password_changed',
        at: new Date().toISOString(),
        ip: context.ip,
        userAgent: context.userAgent,
      });
      return { sessionsRevoked };
    },

    async startMfaSetup(userId: string) {
      const user = await store.userById(db, userId);
      if (!user) throw notFound('User');
      if (user.mfaSecret) throw conflict('mfa_already_enabled', 'Two-factor authentication is already on.');
      const secret = generateSecret();
      await store.updateUser(db, userId, { mfaPendingSecret: sealSecret(mfaKey, secret) });
      return { secret, otpauthUrl: generateURI({ issuer: 'Namaskah', label: user.email, secret }) };
    },

    async confirmMfa(userId: string, otp: string, context: RequestContext) {
      const user = await store.userById(db, userId);
      if (!user?.mfaPendingSecret) throw conflict('mfa_not_started', 'Start the two-factor setup first.');
      const step = await checkTotp(user, user.mfaPendingSecret, otp);
      if (step === undefined)
        throw validationFailed('The authentication code is incorrect.', { field: 'otp' });
      await store.updateUser(db, userId, {
        mfaSecret: user.mfaPendingSecret,
        mfaPendingSecret: null,
        mfaEnabledAt: new Date(),
        mfaLastTimeStep: step,
      });
      await deps.audit.record(db, {
        actorId: userId,
        action: 'mfa.enabled',
        subjectType: 'user',
        subjectId: userId,
        ip: context.ip,
      });
    },

    async disableMfa(userId: string, otp: string, context: RequestContext) {
      const user = await store.userById(db, userId);
      if (!user?.mfaSecret) throw conflict('mfa_not_enabled', 'Two-factor authentication is not on.');
      if (user.role === 'admin') throw forbidden('Administrators must keep two-factor authentication on.');
      const step = await checkTotp(user, user.mfaSecret, otp);
      if (step === undefined)
        throw validationFailed('The authentication code is incorrect.', { field: 'otp' });
      await store.updateUser(db, userId, {
        mfaSecret: null,
        mfaPendingSecret: null,
        mfaEnabledAt: null,
        mfaLastTimeStep: step,
      });
      await deps.audit.record(db, {
        actorId: userId,
        action: 'mfa.disabled',
        subjectType: 'user',
        subjectId: userId,
        ip: context.ip,
      });
    },

    /** For the authentication hook: the live session's user, or undefined. */
    sessionWithUser: (sessionId: string, userId: string) => store.liveSessionWithUser(db, sessionId, userId),

    // Operations other modules and administrators call.
    mail,
    findUserById: (id: string): Promise<User | undefined> => store.userById(db, id),
    /** Locks the user's row for the rest of the caller's transaction (serialises per-user limits). */
    lockUser: (tx: Db, id: string): Promise<User | undefined> => store.userById(tx, id, { forUpdate: true }),
    /** For long-lived responses (SSE) that re-check their access: which sessions are still live, which users active. */
    liveSessionIds: (ids: readonly string[]) => store.liveSessionIds(db, ids),
    activeUserIds: (ids: readonly string[]) => store.activeUserIds(db, ids),
    setUserTier: (userId: string, tier: string, tx?: Db) => setUserTier(core, userId, tier, tx),
    suspendUser: (userId: string, actorId?: string | null, reason?: string) =>
      suspendUser(core, userId, actorId, reason),
    unsuspendUser: (userId: string, actorId?: string | null) => unsuspendUser(core, userId, actorId),
    setUserRole: (userId: string, role: 'user' | 'admin') => setUserRole(core, userId, role),
    provisionAdmin: (email: string) => provisionAdmin(core, email),
    /** Deletes rows that no longer serve anyone (the daily `accounts.prune` job). */
    pruneRecords: () => pruneAccountRecords(db),
    /**
     * Opens an account directly, without captcha or confirmation mail (seeding benchmarks and
     * tooling); undefined when the address is taken.
     */
    async createUser(input: { email: string; password: string }): Promise<PublicUser | undefined> {
      const email = normalizeEmail(input.email);
      const passwordHash = await hashPassword(input.password);
      const created = await db.transaction((tx) =>
        openAccount(core, tx, { email, passwordHash }, { ip: null, via: 'seed' }),
      );
      return created && publicUser(created);
    },
  };
}
