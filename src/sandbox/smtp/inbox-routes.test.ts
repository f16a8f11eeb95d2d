import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import { startSmtpCatcher, type SmtpCatcher } from './catcher.js';
import { createTestSender, type TestSender } from './test-sender.js';
import { registerInboxRoutes, startInboxServer } from './inbox-routes.js';

describe('sandbox inbox', () => {
  let catcher: SmtpCatcher;
  let mailer: TestSender;
  const app = Fastify();

  beforeAll(async () => {
    catcher = await startSmtpCatcher();
    mailer = createTestSender(catcher.smtpUrl, 'Namaskah <no-reply@namaskah.test>');
    registerInboxRoutes(app, catcher, { prefix: '/_sandbox/mail' });
    await app.ready();
  });
  afterAll(async () => {
    mailer.close();
    await app.close();
    await catcher.close();
  });
  beforeEach(() => catcher.clear());

  it('lists messages newest first, escaped, under a strict CSP', async () => {
    await mailer.send({ to: 'ana@example.com', subject: 'First', text: 'one' });
    await mailer.send({ to: 'ana@example.com', subject: '<script>alert(1)</script> Second', text: 'two' });

    const res = await app.inject({ method: 'GET', url: '/_sandbox/mail' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-inline/);
    expect(res.body).not.toMatch(/<script/i);
    expect(res.body).not.toMatch(/\sstyle=/);
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Second');
    expect(res.body.indexOf('Second')).toBeLessThan(res.body.indexOf('First'));
    const [newest] = catcher.messages();
    expect(res.body).toContain(`href="/_sandbox/mail/messages/${newest!.id}"`);

    const withSlash = await app.inject({ method: 'GET', url: '/_sandbox/mail/' });
    expect(withSlash.statusCode).toBe(200);
  });

  it('shows a message page with its text, links clickable and content escaped', async () => {
    await mailer.send({
      to: 'ana@example.com',
      subject: 'Reset',
      text: 'Open https://app.example/reset?token=abc&x=1. Or <b>not</b>.',
      html: '<p><a href="https://app.example/html-only?a=1&amp;b=2">go</a><script>evil()</script></p>',
    });
    const [message] = catcher.messages();

    const res = await app.inject({ method: 'GET', url: `/_sandbox/mail/messages/${message!.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<a href="https://app.example/reset?token=abc&amp;x=1" rel="noreferrer">');
    expect(res.body).toContain('&lt;b&gt;not&lt;/b&gt;');
    expect(res.body).toContain('href="https://app.example/html-only?a=1&amp;b=2"');
    expect(res.body).not.toMatch(/<script/i);
    expect(res.body).toContain('&lt;script&gt;evil()&lt;/script&gt;');

    const missing = await app.inject({ method: 'GET', url: '/_sandbox/mail/messages/nope' });
    expect(missing.statusCode).toBe(404);
  });

  it('serves its own stylesheet', async () => {
    const res = await app.inject({ method: 'GET', url: '/_sandbox/mail/inbox.css' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/css/);
  });

  it('JSON API filters by recipient', async () => {
    await mailer.send({ to: 'ana@example.com', subject: 'For Ana', text: 'a' });
    await mailer.send({ to: 'bob@example.com', subject: 'For Bob', text: 'b' });

    const all = await app.inject({ method: 'GET', url: '/_sandbox/mail/api/messages' });
    expect(all.json<{ data: unknown[] }>().data).toHaveLength(2);

    const res = await app.inject({ method: 'GET', url: '/_sandbox/mail/api/messages?to=Bob%40Example.com' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      data: Array<{ id: string; subject: string; to: string[]; receivedAt: string }>;
    }>();
    expect(body.data.map((m) => m.subject)).toEqual(['For Bob']);
    expect(body.data[0]!.to).toEqual(['bob@example.com']);
    expect(new Date(body.data[0]!.receivedAt).getTime()).not.toBeNaN();

    const one = await app.inject({ method: 'GET', url: `/_sandbox/mail/api/messages/${body.data[0]!.id}` });
    expect(one.json<{ data: { subject: string } }>().data.subject).toBe('For Bob');

    const bad = await app.inject({ method: 'GET', url: '/_sandbox/mail/api/messages?to=a&to=b' });
    expect(bad.statusCode).toBe(400);

    const cleared = await app.inject({ method: 'DELETE', url: '/_sandbox/mail/api/messages' });
    expect(cleared.statusCode).toBe(204);
    expect(catcher.messages()).toEqual([]);
  });

  it('HTML list filters by recipient too', async () => {
    await mailer.send({ to: 'ana@example.com', subject: 'For Ana', text: 'a' });
    await mailer.send({ to: 'bob@example.com', subject: 'For Bob', text: 'b' });
    const res = await app.inject({ method: 'GET', url: '/_sandbox/mail?to=ana%40example.com' });
    expect(res.body).toContain('For Ana');
    expect(res.body).not.toContain('For Bob');
  });

  it('runs standalone', async () => {
    const server = await startInboxServer({ catcher });
    try {
      const res = await fetch(`${server.url}api/messages`, { signal: AbortSignal.timeout(2_000) });
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('sandbox inbox at the root', () => {
  it('mounts with an empty prefix', async () => {
    const catcher = await startSmtpCatcher();
    const app = Fastify();
    registerInboxRoutes(app, catcher, { prefix: '' });
    try {
      const mailer = createTestSender(catcher.smtpUrl, 'no-reply@namaskah.test');
      await mailer.send({ to: 'ana@example.com', subject: 'Root', text: 'hi' });
      mailer.close();
      const res = await app.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(`href="/messages/${catcher.messages()[0]!.id}"`);
      expect(res.body).toContain('href="/inbox.css"');
    } finally {
      await app.close();
      await catcher.close();
    }
  });
});
