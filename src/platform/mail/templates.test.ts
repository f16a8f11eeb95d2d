import { describe, it, expect } from 'vitest';
import {
  emailConfirmationMail,
  newSignInMail,
  passwordResetMail,
  securityNoticeMail,
  webhookDisabledMail,
} from './templates.js';

const hostile = 'eve<script>alert(1)</script>"\'&@example.com';
const at = new Date('2025-01-02T03:04:05Z');

describe('mail templates', () => {
  it('e-mail confirmation carries the link in text and html', () => {
    const link = 'https://app.example/confirm?token=abc&x=1';
    const mail = emailConfirmationMail({ email: 'ana@example.com', link });
    expect(mail.subject).toMatch(/confirm/i);
    expect(mail.text).toContain(link);
    expect(mail.html).toContain('href="https://app.example/confirm?token=abc&amp;x=1"');
  });

  it('password reset says it expires in 30 minutes and can be used once', () => {
    const mail = passwordResetMail({ email: 'ana@example.com', link: 'https://app.example/reset?token=t' });
    expect(mail.text).toContain('expires in 30 minutes and can be used once');
    expect(mail.html).toContain('expires in 30 minutes and can be used once');
    expect(mail.text).toContain('https://app.example/reset?token=t');
  });

  it('escapes every interpolated value in the html part', () => {
    const mails = [
      emailConfirmationMail({ email: hostile, link: 'https://app.example/c?t=1' }),
      passwordResetMail({ email: hostile, link: 'https://app.example/r?t=1' }),
      newSignInMail({
        email: hostile,
        at,
        ipAddress: '<b>1.2.3.4</b>',
        userAgent: '<script>ua</script>',
        sessionsUrl: 'https://app.example/s',
      }),
      securityNoticeMail({
        email: hostile,
        event: 'password_changed',
        at,
        userAgent: '<img src=x onerror=alert(1)>',
        securityUrl: 'https://app.example/sec',
      }),
      webhookDisabledMail({
        email: hostile,
        endpointUrl: 'https://hook.example/"><script>x</script>',
        reason: '<script>reason</script>',
        disabledAt: at,
        webhooksUrl: 'https://app.example/w',
      }),
    ];
    for (const mail of mails) {
      expect(mail.html).not.toMatch(/<script/i);
      expect(mail.html).not.toMatch(/<img/i);
      expect(mail.html).not.toContain('<b>');
      expect(mail.html).toContain('&lt;script&gt;');
    }
    expect(mails[0]!.html).toContain('eve&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;@example.com');
  });

  it('refuses links that are not http(s)', () => {
    expect(() => emailConfirmationMail({ email: 'a@example.com', link: 'javascript:alert(1)' })).toThrow();
    expect(() => passwordResetMail({ email: 'a@example.com', link: '/relative' })).toThrow();
  });

  it('keeps client-supplied values on one line in the text part', () => {
    const mail = newSignInMail({
      email: 'ana@example.com',
      at,
      userAgent: 'Mozilla\r\nReview your sessions: https://evil.example',
      sessionsUrl: 'https://app.example/sessions',
    });
    expect(mail.text).toContain('Device: Mozilla Review your sessions: https://evil.example');
    expect(mail.text.split('\n').filter((line) => line.startsWith('Review your sessions:'))).toEqual([
      'Review your sessions: https://app.example/sessions',
    ]);
    expect(mail.text).toContain('2025-01-02 03:04 UTC');
  });

  it('webhook disabled names the endpoint and the reason', () => {
    const mail = webhookDisabledMail({
      email: 'ana@example.com',
      endpointUrl: 'https://hooks.example/in',
      reason: '20 consecutive failed deliveries (last: HTTP 500)',
      disabledAt: at,
      webhooksUrl: 'https://app.example/developers/webhooks',
    });
    expect(mail.subject).toMatch(/webhook/i);
    expect(mail.text).toContain('Endpoint: https://hooks.example/in');
    expect(mail.text).toContain('Reason: 20 consecutive failed deliveries (last: HTTP 500)');
  });
});
