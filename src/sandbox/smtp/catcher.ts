/**
 * SMTP catcher: an SMTP server that accepts every message (no AUTH, no STARTTLS), parses it and
 * keeps the most recent ones in memory, for the embedded demo's inbox page and for tests.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';

export interface CaughtMessage {
  id: string;
  /** The From header as written (e.g. `Namaskah <no-reply@…>`), else the envelope sender. */
  from: string;
  /** Envelope recipients (so Bcc is included), lower-cased. */
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  receivedAt: Date;
}

/** Alias matching the name used in the brief. */
export type Message = CaughtMessage;

export type MessagePredicate = (message: CaughtMessage) => boolean;

export interface SmtpCatcherOptions {
  /** 0 (default) picks a free port. */
  smtpPort?: number;
  host?: string;
  /** How many messages to keep; older ones are dropped. Default 500. */
  maxMessages?: number;
  /** Largest accepted message in bytes. Default 10 MiB. */
  maxMessageBytes?: number;
}

export interface SmtpCatcher {
  /** `smtp://host:port`, ready for `createMailer({ smtpUrl })`. */
  smtpUrl: string;
  port: number;
  close(): Promise<void>;
  /** Newest first. */
  messages(): CaughtMessage[];
  /** Messages sent to `address` (case-insensitive), newest first. */
  messagesTo(address: string): CaughtMessage[];
  message(id: string): CaughtMessage | undefined;
  /**
   * The newest message already caught that matches, or else the next one to arrive. Rejects
   * after `timeoutMs` (default 5 s) or when the catcher closes. Call `clear()` first to ignore
   * earlier mail.
   */
  waitForMessage(predicate: MessagePredicate, timeoutMs?: number): Promise<CaughtMessage>;
  clear(): void;
}

interface Waiter {
  predicate: MessagePredicate;
  resolve(message: CaughtMessage): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export async function startSmtpCatcher(options: SmtpCatcherOptions = {}): Promise<SmtpCatcher> {
  const host = options.host ?? '127.0.0.1';
  const maxMessages = options.maxMessages ?? 500;
  const maxMessageBytes = options.maxMessageBytes ?? 10 * 1024 * 1024;
  // Oldest first internally; callers get newest first.
  let stored: CaughtMessage[] = [];
  const waiters = new Set<Waiter>();
  let closed = false;

  function store(message: CaughtMessage): void {
    stored.push(message);
    if (stored.length > maxMessages) stored = stored.slice(stored.length - maxMessages);
    for (const waiter of waiters) {
      let matches = false;
      try {
        matches = waiter.predicate(message);
      } catch (error) {
        settle(waiter);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (matches) {
        settle(waiter);
        waiter.resolve(message);
      }
    }
  }

  function settle(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    waiters.delete(waiter);
  }

  async function receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const parsed = await simpleParser(stream, { skipImageLinks: true });
    if (stream.sizeExceeded) {
      throw Object.assign(new Error('Message exceeds the size limit.'), { responseCode: 552 });
    }
    const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    store({
      id: randomUUID(),
      from: parsed.from?.text || envelopeFrom,
      to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : null,
      receivedAt: new Date(),
    });
  }

  const server = new SMTPServer({
    name: 'namaskah-smtp-catcher',
    banner: 'Namaskah SMTP catcher (sandbox)',
    logger: false,
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    hideSTARTTLS: true,
    size: maxMessageBytes,
    closeTimeout: 1_000,
    onData(stream, session, callback) {
      receive(stream, session).then(
        () => callback(),
        (error: unknown) => {
          stream.resume(); // drain whatever the parser left, or the session hangs
          callback(error instanceof Error ? error : new Error(String(error)));
        },
      );
    },
  });
  // Connection-level errors (a client hanging up mid-session) must not crash the process.
  server.on('error', () => {});

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.server.once('error', onError);
    server.listen(options.smtpPort ?? 0, host, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  const newestFirst = () => stored.slice().reverse();

  return {
    smtpUrl: `smtp://${urlHost}:${port}`,
    port,

    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const waiter of waiters) {
        settle(waiter);
        waiter.reject(new Error('SMTP catcher closed before a matching message arrived.'));
      }
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },

    messages: newestFirst,

    messagesTo(address) {
      const wanted = address.trim().toLowerCase();
      return newestFirst().filter((message) => message.to.includes(wanted));
    },

    message(id) {
      return stored.find((message) => message.id === id);
    },

    waitForMessage(predicate, timeoutMs = 5_000) {
      const existing = newestFirst().find(predicate);
      if (existing) return Promise.resolve(existing);
      if (closed) return Promise.reject(new Error('SMTP catcher is closed.'));
      return new Promise<CaughtMessage>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve,
          reject,
          timer: setTimeout(() => {
            settle(waiter);
            reject(new Error(`No matching message arrived within ${timeoutMs} ms.`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },

    clear() {
      stored = [];
    },
  };
}
