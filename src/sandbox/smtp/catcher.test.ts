import { afterAll, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import { startSmtpCatcher, type SmtpCatcher } from './catcher.js';
import { createTestSender, type TestSender } from './test-sender.js';

describe('SMTP catcher', () => {
  let catcher: SmtpCatcher;
  let mailer: TestSender;
  beforeAll(async () => {
    catcher = await startSmtpCatcher({ maxMessages: 3 });
    mailer = createTestSender(catcher.smtpUrl, 'sender@namaskah.test');
  });
  afterAll(async () => {
    mailer.close();
    await catcher.close();
  });
  beforeEach(() => catcher.clear());

  it('listens on a free port on loopback', () => {
    expect(catcher.port).toBeGreaterThan(0);
    expect(catcher.smtpUrl).toBe(`smtp://127.0.0.1:${catcher.port}`);
  });

  it('waitForMessage resolves when a matching message arrives later', async () => {
    const waiting = catcher.waitForMessage((m) => m.subject === 'Later', 3_000);
    await mailer.send({ to: 'x@example.com', subject: 'Other', text: 'no' });
    await mailer.send({ to: 'x@example.com', subject: 'Later', text: 'yes' });
    const message = await waiting;
    expect(message.text.trim()).toBe('yes');
  });

  it('waitForMessage resolves at once with a message already caught', async () => {
    await mailer.send({ to: 'y@example.com', subject: 'Already here', text: 'hi' });
    const message = await catcher.waitForMessage((m) => m.subject === 'Already here', 50);
    expect(message.to).toEqual(['y@example.com']);
  });

  it('waitForMessage times out', async () => {
    const started = Date.now();
    await expect(catcher.waitForMessage((m) => m.subject === 'Never', 100)).rejects.toThrow(/within 100 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('keeps only the most recent messages, newest first', async () => {
    for (const n of [1, 2, 3, 4]) await mailer.send({ to: 'z@example.com', subject: `M${n}`, text: `${n}` });
    expect(catcher.messages().map((m) => m.subject)).toEqual(['M4', 'M3', 'M2']);
    expect(catcher.message(catcher.messages()[0]!.id)?.subject).toBe('M4');
  });

  it('filters by recipient, case-insensitively, and clears', async () => {
    await mailer.send({ to: 'One@Example.com', subject: 'to one', text: '1' });
    await mailer.send({ to: 'two@example.com', subject: 'to two', text: '2' });
    expect(catcher.messagesTo('one@example.COM').map((m) => m.subject)).toEqual(['to one']);
    catcher.clear();
    expect(catcher.messages()).toEqual([]);
  });

  it('rejects pending waiters when closed', async () => {
    const other = await startSmtpCatcher();
    const waiting = other.waitForMessage(() => true, 5_000);
    await other.close();
    await expect(waiting).rejects.toThrow(/closed/);
  });
});
