/**
 * The e-mails of accounts (confirmation, password reset, security notices), sent by a durable job
 * rather than in the request. A request only enqueues `{kind, email}`: whether an account exists
 * is looked at by the job, so register, password-forgot and resend-confirmation do the same work
 * and answer in the same time for any address (SPEC §5). Tokens are issued by the job too, so no
 * usable link ever sits in the queue's table.
 */
import type { Config } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';
import type { Jobs } from '../../platform/jobs.js';
import type { Logger } from '../../platform/logger.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import {
  type MailContent,
  emailConfirmationMail,
  passwordResetMail,
  securityNoticeMail,
} from '../../platform/mail/templates.js';
import type { AuditService } from '../audit/index.js';
import { hashToken, newOpaqueToken } from './secrets.js';
import * as store from './store.js';

export const SEND_ACCOUNT_MAIL = 'accounts.mail';
const CONFIRM_TOKEN_HOURS = 48;
const RESET_TOKEN_MINUTES = 30;

export type AccountMailJob =
  /** A confirmation link, if the address has an active account not confirmed yet. */
  | { kind: 'email_confirmation'; email: string }
  /** A reset link, if the address has an active account. */
  | { kind: 'password_reset'; email: string; ip: string | null }
  | {
      kind: 'security_notice';
      userId: string;
      event: 'password_changed';
      at: string;
      ip: string | null;
      userAgent: string | null;
    };

export interface AccountMailDeps {
  config: Pick<Config, 'publicUrl'>;
  db: Db;
  jobs: Jobs | undefined;
  mailer: Mailer | undefined;
  logger: Logger;
  audit: AuditService;
}

export type AccountMail = ReturnType<typeof createAccountMail>;

export function createAccountMail(deps: AccountMailDeps) {
  const { db, config, logger } = deps;

  async function issueEmailToken(userId: string, purpose: store.EmailTokenPurpose, seconds: number) {
    const token = newOpaqueToken();
    await store.insertEmailToken(db, {
      userId,
      purpose,
      tokenHash: hashToken(token),
      expiresAt: new Date(Date.now() + seconds * 1000),
    });
    return token;
  }

  /** What to send for a job, or undefined when the address has nothing to receive. */
  async function compose(job: AccountMailJob): Promise<{ to: string; content: MailContent } | undefined> {
    switch (job.kind) {
      case 'email_confirmation': {
        const user = await store.userByEmail(db, job.email);
        if (!user || user.status !== 'active' || user.emailConfirmedAt !== null) return undefined;
        const token = await issueEmailToken(user.id, 'confirm_email', CONFIRM_TOKEN_HOURS * 3600);
        const link = `${config.publicUrl}/confirm-email?token=${encodeURIComponent(token)}`;
        return {
          to: user.email,
          content: emailConfirmationMail({ email: user.email, link, expiresInHours: CONFIRM_TOKEN_HOURS }),
        };
      }
      case 'password_reset': {
        const user = await store.userByEmail(db, job.email);
        if (!user || user.status !== 'active') return undefined;
        const token = await issueEmailToken(user.id, 'password_reset', RESET_TOKEN_MINUTES * 60);
        await deps.audit.record(db, {
          actorId: user.id,
          action: 'password.reset_requested',
          subjectType: 'user',
          subjectId: user.id,
          ip: job.ip,
        });
        const link = `${config.publicUrl}/reset-password?token=${encodeURIComponent(token)}`;
        return {
          to: user.email,
          content: passwordResetMail({ email: user.email, link, expiresInMinutes: RESET_TOKEN_MINUTES }),
        };
      }
      case 'security_notice': {
        const user = await store.userById(db, job.userId);
        if (!user) return undefined;
        return {
          to: user.email,
          content: securityNoticeMail({
            email: user.email,
            event: job.event,
            at: new Date(job.at),
            ...(job.ip ? { ipAddress: job.ip } : {}),
            ...(job.userAgent ? { userAgent: job.userAgent } : {}),
            securityUrl: `${config.publicUrl}/settings/security`,
          }),
        };
      }
    }
  }

  /** The job's work; a failed send throws, so the queue retries it. */
  async function deliver(job: AccountMailJob): Promise<void> {
    if (!deps.mailer) {
      logger.warn({ kind: job.kind }, 'no mailer configured; e-mail not sent');
      return;
    }
    const mail = await compose(job);
    if (!mail) return;
    await deps.mailer.send({ to: mail.to, ...mail.content });
  }

  return {
    deliver,
    /**
     * Hands the mail to the queue. Without one (tests, tools) it is still sent off the request's
     * path, so a request never waits on SMTP either way.
     */
    async enqueue(job: AccountMailJob): Promise<void> {
      if (deps.jobs) {
        await deps.jobs.send(SEND_ACCOUNT_MAIL, job);
        return;
      }
      void deliver(job).catch((error: unknown) =>
        logger.error(
          { code: (error as { code?: string }).code, kind: job.kind },
          'sending an account e-mail failed',
        ),
      );
    },
  };
}
