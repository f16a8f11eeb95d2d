import { verify as verifyTotp } from 'otplib';
import type { Config } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { type RateLimiter, createRateLimiter, rateLimited } from '../../platform/http/rate-limit.js';
import type { Jobs } from '../../platform/jobs.js';
import type { Logger } from '../../platform/logger.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import type { AuditService } from '../audit/index.js';
import type { LedgerService } from '../ledger/index.js';
import { ACCESS_TOKEN_SECONDS, type AccessTokens, createAccessTokens } from './access-tokens.js';
import { type Captcha, createCaptcha } from './captcha.js';
import { type AccountMail, createAccountMail } from './mail.js';
import { createSealer, hashToken, newOpaqueToken } from './secrets.js';
import { SEALED_MFA_SECRETS } from './schema.js';
import * as store from './store.js';
import { type AccountsCore, type PublicUser, type User, publicUser } from './users.js';

export const REFRESH_TOKEN_SECONDS = 30 * 24 * 60 * 60;
/**
 * Guesses of a secret a signed-in user must know (current password, authenticator code): per
 * user, across sessions and addresses. Every TOTP check (sign-in, MFA setup and disable, password
 * change) counts against one counter of this size.
 */
export const SECRET_CHECKS_PER_USER = { points: 5, durationSeconds: 15 * 60 } as const;
const TOTP_CHECKS = 'totp-user';

export interface AccountsDeps {
  db: Db;
  config: Pick<Config, 'appSecret' | 'appSecretFallbacks' | 'publicUrl' | 'rateLimit'>;
  logger: Logger;
  mailer: Mailer | undefined;
  /** Account e-mails go through its queue; without one they are sent in the background. */
  jobs: Jobs | undefined;
  /** The application's limiter (shared through Redis); a process-local one when absent. */
  rateLimiter?: RateLimiter;
  ledger: LedgerService;
  audit: AuditService;
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

/** What every accounts use case shares: built once per service from its deps. */
export type AccountsContext = ReturnType<typeof createAccountsContext>;

const mfaRequired = () =>
  new AppError(401, 'mfa_required', 'Enter the 6-digit code from your authenticator app.');
const mfaInvalid = () =>
  new AppError(401, 'mfa_invalid', 'The authentication code is incorrect or was already used.');

export function createAccountsContext(deps: AccountsDeps) {
  const { db, config, audit } = deps;
  const core: AccountsCore = { db, ledger: deps.ledger, audit };
  const tokens: AccessTokens = createAccessTokens(config);
  const mfaSeals = createSealer(config, SEALED_MFA_SECRETS.purpose);
  const limiter =
    deps.rateLimiter ?? createRateLimiter({ keyPrefix: config.rateLimit.keyPrefix, logger: deps.logger });
  const captcha: Captcha = createCaptcha({ secrets: config, db });
  const mail: AccountMail = createAccountMail({
    config,
    db,
    jobs: deps.jobs,
    mailer: deps.mailer,
    logger: deps.logger,
    audit,
  });

  /**
   * Accepts a TOTP code once (replay refused through the last accepted time step). Every check
   * counts against the user's budget first, so a million codes cannot be tried from any route; a
   * right one is given back.
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
    const secret = mfaSeals.open(sealed);
    const result = await verifyTotp({
      secret,
      token: otp,
      epochTolerance: 30,
      ...(user.mfaLastTimeStep !== null ? { afterTimeStep: user.mfaLastTimeStep } : {}),
    });
    // TOTP results carry `timeStep`; the union type also admits HOTP's shape without it.
    const step = result.valid && 'timeStep' in result ? result.timeStep : undefined;
    // The right code was no guess: it gives its check back, so the owner who mistypes a few times
    // and then gets it right keeps the budget (counted first, so parallel guesses stay bounded).
    if (step !== undefined) {
      await limiter.refund(TOTP_CHECKS, `user:${user.id}`, SECRET_CHECKS_PER_USER.durationSeconds);
    }
    return step;
  }

  /**
   * With two-factor authentication on, the code must come too and be right (`onWrongCode` runs
   * before the refusal); the accepted time step is remembered so the code is not accepted again.
   */
  async function requireSecondFactor(
    user: User,
    otp: string | undefined,
    onWrongCode?: () => Promise<void>,
  ): Promise<void> {
    if (!user.mfaSecret) return;
    if (!otp) throw mfaRequired();
    const step = await checkTotp(user, user.mfaSecret, otp);
    if (step === undefined) {
      await onWrongCode?.();
      throw mfaInvalid();
    }
    await store.updateUser(db, user.id, { mfaLastTimeStep: step });
  }

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

  return { db, core, audit, captcha, tokens, mail, mfaSeals, checkTotp, requireSecondFactor, startSession };
}
