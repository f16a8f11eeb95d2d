/**
 * The plan e-mails (a failed renewal, a downgrade), sent by a durable job after the change is
 * committed: the job carries only ids and dates, and the address is read when it runs.
 */
import type { Jobs } from '../../platform/jobs.js';
import type { Logger } from '../../platform/logger.js';
import { escapeHtml } from '../../platform/mail/html.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import type { MailContent } from '../../platform/mail/templates.js';

export const SEND_SUBSCRIPTION_MAIL = 'subscriptions.mail';

export type SubscriptionMailJob =
  | { kind: 'past_due'; userId: string; tier: string; amountCents: number; graceEndsAt: string }
  | {
      kind: 'downgraded';
      userId: string;
      fromTier: string;
      toTier: string;
      reason: 'canceled' | 'grace_expired';
    };

const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;

export function subscriptionMail(
  job: SubscriptionMailJob,
  links: { walletUrl: string; plansUrl: string },
): MailContent {
  const lines =
    job.kind === 'past_due'
      ? {
          subject: 'Your Namaskah plan could not be renewed',
          body: [
            `We could not renew your ${job.tier} plan: your wallet holds less than ${dollars(job.amountCents)}.`,
            `Your plan stays in force until ${new Date(job.graceEndsAt).toUTCString()}. Top up your wallet before then and it renews by itself; otherwise it moves to pay as you go.`,
          ],
          link: links.walletUrl,
          action: 'Top up your wallet',
        }
      : {
          subject: 'Your Namaskah plan has changed',
          body: [
            job.reason === 'canceled'
              ? `Your ${job.fromTier} plan ended at the end of its period, as you asked.`
              : `Your ${job.fromTier} plan was not paid within the grace period.`,
            `Your account is now on ${job.toTier}; nothing was charged for this change.`,
          ],
          link: links.plansUrl,
          action: 'See the plans',
        };
  const text = ['Hello,', '', ...lines.body, '', `${lines.action}: ${lines.link}`, '', '— Namaskah'].join(
    '\n',
  );
  const html = [
    '<p>Hello,</p>',
    ...lines.body.map((line) => `<p>${escapeHtml(line)}</p>`),
    `<p><a href="${escapeHtml(lines.link)}">${escapeHtml(lines.action)}</a></p>`,
    '<p>— Namaskah</p>',
  ].join('\n');
  return { subject: lines.subject, text, html };
}

export interface SubscriptionMailDeps {
  publicUrl: string;
  jobs: Jobs | undefined;
  mailer: Mailer | undefined;
  logger: Pick<Logger, 'warn' | 'error'>;
  emailOf: (userId: string) => Promise<string | undefined>;
}

export function createSubscriptionMail(deps: SubscriptionMailDeps) {
  const links = { walletUrl: `${deps.publicUrl}/wallet`, plansUrl: `${deps.publicUrl}/plans` };

  /** The job's work; a failed send throws, so the queue retries it. */
  async function deliver(job: SubscriptionMailJob): Promise<void> {
    if (!deps.mailer) {
      deps.logger.warn({ kind: job.kind }, 'no mailer configured; e-mail not sent');
      return;
    }
    const to = await deps.emailOf(job.userId);
    if (!to) return;
    await deps.mailer.send({ to, ...subscriptionMail(job, links) });
  }

  return {
    deliver,
    /** Queues the mail; without a queue (tests, tools) it is sent off the caller's path. */
    async enqueue(job: SubscriptionMailJob): Promise<void> {
      if (deps.jobs) {
        await deps.jobs.send(SEND_SUBSCRIPTION_MAIL, job);
        return;
      }
      void deliver(job).catch((error: unknown) =>
        deps.logger.error({ err: error, kind: job.kind }, 'sending a subscription e-mail failed'),
      );
    },
  };
}
export type SubscriptionMail = ReturnType<typeof createSubscriptionMail>;
