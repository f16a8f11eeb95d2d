import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { startSmtpCatcher, type SmtpCatcher } from '../../sandbox/smtp/catcher.js';
import { createMailer, MailDeliveryError, type MailLogger } from './mailer.js';
import { passwordResetMail } from './templates.js';

describe('mailer', () => {
  let catcher: SmtpCatcher;
  beforeAll(async () => {
    catcher = await startSmtpCatcher();
  });
  afterAll(async () => {
    await catcher.close();
  });

  it('sends through the catcher, which parses subject, text, html and recipients', async () => {
    const logged: string[] = [];
    const logger: MailLogger = {
      info: (obj, msg) => logged.push(JSON.stringify(obj) + msg),
      warn: (obj, msg) => logged.push(JSON.stringify(obj) + msg),
    };
    const mailer = createMailer({
      smtpUrl: catcher.smtpUrl,
      from: 'Namaskah <no-reply@namaskah.test>',
      logger,
    });
    const link = 'https://app.example/reset?token=secret-token-123';
    const content = passwordResetMail({ email: 'Ana@Example.com', link });

    const sent = await mailer.send({ to: 'Ana@Example.com', ...content });
    mailer.close();

    expect(sent.accepted).toHaveLength(1);
    expect(sent.rejected).toEqual([]);
    const message = await catcher.waitForMessage((m) => m.to.includes('ana@example.com'), 2_000);
    expect(message.subject).toBe(content.subject);
    expect(message.from).toContain('no-reply@namaskah.test');
    expect(message.text).toContain(link);
    expect(message.html).toContain('href="https://app.example/reset?token=secret-token-123"');
    expect(message.receivedAt).toBeInstanceOf(Date);
    // The logger never sees the body or the token.
    expect(logged.join('\n')).not.toContain('secret-token-123');
    expect(logged).toHaveLength(1);
  });

  it('sends text-only mail to several recipients', async () => {
    const mailer = createMailer({ smtpUrl: catcher.smtpUrl, from: 'no-reply@namaskah.test' });
    await mailer.send({ to: ['a@example.com', 'b@example.com'], subject: 'Plain', text: 'Just text.' });
    mailer.close();
    const message = await catcher.waitForMessage((m) => m.subject === 'Plain', 2_000);
    expect(message.to).toEqual(['a@example.com', 'b@example.com']);
    expect(message.text.trim()).toBe('Just text.');
    expect(message.html).toBeNull();
  });

  it('fails with a MailDeliveryError that carries no message content when the server is down', async () => {
    const down = await startSmtpCatcher();
    const smtpUrl = down.smtpUrl;
    await down.close();
    const mailer = createMailer({ smtpUrl, from: 'no-reply@namaskah.test', timeoutMs: 2_000 });
    const error = await mailer
      .send({ to: 'a@example.com', subject: 'S', text: 'token=top-secret' })
      .catch((e: unknown) => e);
    mailer.close();
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(String((error as Error).message)).not.toContain('top-secret');
  });
});
