/**
 * Outgoing e-mail over SMTP (nodemailer). Bodies carry single-use tokens, so nothing here logs a
 * message body or a link: nodemailer's own logger and debug output stay off, and the optional
 * logger only ever sees the message id, the subject and how many recipients there were.
 */
import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
}

export interface SentMail {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

/** The subset of a pino logger the mailer uses. */
export interface MailLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface MailerOptions {
  /** e.g. `smtp://127.0.0.1:2525`, `smtps://user:pass@smtp.example.com:465`. */
  smtpUrl: string;
  /** Sender, e.g. `Namaskah <no-reply@namaskah.example>`. */
  from: string;
  logger?: MailLogger;
  /** Connect/greeting/socket timeouts in ms (default 10 s). */
  timeoutMs?: number;
}

export interface Mailer {
  send(message: MailMessage): Promise<SentMail>;
  /** Checks that the SMTP server is reachable and accepts us. */
  verify(): Promise<void>;
  close(): void;
}

export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'MailDeliveryError';
  }
}

export function createMailer(options: MailerOptions): Mailer {
  const timeout = options.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport(
    {
      url: options.smtpUrl,
      logger: false,
      debug: false,
      transactionLog: false,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      // Lets `smtp://localhost:…` work on hosts whose only interface is loopback (the sandbox).
      allowInternalNetworkInterfaces: true,
    },
    { from: options.from },
  );

  return {
    async send(message) {
      const recipients = Array.isArray(message.to) ? message.to : [message.to];
      if (recipients.length === 0) throw new TypeError('A mail needs at least one recipient.');
      try {
        const info = await transport.sendMail({
          to: recipients,
          subject: message.subject,
          text: message.text,
          ...(message.html === undefined ? {} : { html: message.html }),
        });
        const sent: SentMail = {
          messageId: info.messageId,
          accepted: info.accepted.map(String),
          rejected: info.rejected.map(String),
        };
        options.logger?.info(
          { messageId: sent.messageId, subject: message.subject, recipients: recipients.length },
          'mail sent',
        );
        return sent;
      } catch (error) {
        // Only the error code and a fixed message: SMTP responses can echo parts of the message.
        const code = errorCode(error);
        options.logger?.warn({ subject: message.subject, code }, 'mail delivery failed');
        throw new MailDeliveryError(`Mail delivery failed${code ? ` (${code})` : ''}.`, code);
      }
    },

    async verify() {
      try {
        await transport.verify();
      } catch (error) {
        const code = errorCode(error);
        throw new MailDeliveryError(`SMTP server check failed${code ? ` (${code})` : ''}.`, code);
      }
    },

    close() {
      transport.close();
    },
  };
}

function errorCode(error: unknown): string | undefined {
  const code = error && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
