import { describe, expect, it } from 'vitest';
import { MAX_CAPTCHA_LEVEL } from './captcha.js';
import { captchaLevelFor, captchaReason, clientSubject, emailSubject } from './domain.js';

describe('sign-in failure subjects', () => {
  it('names e-mail addresses and clients apart', () => {
    expect(emailSubject('a@example.test')).toBe('email:a@example.test');
    expect(clientSubject('203.0.113.9')).toBe('ip:203.0.113.9');
  });

  it('counts an IPv4-mapped address as the IPv4 client', () => {
    expect(clientSubject('::ffff:203.0.113.9')).toBe('ip:203.0.113.9');
  });

  it('counts IPv6 clients per /64', () => {
    expect(clientSubject('2001:db8:1:2:3:4:5:6')).toBe('ip:2001:db8:1:2::/64');
    expect(clientSubject('2001:db8:1:2::ffff')).toBe(clientSubject('2001:db8:1:2:aaaa::1'));
    expect(clientSubject('2001:db8:1:3::1')).not.toBe(clientSubject('2001:db8:1:2::1'));
  });

  it('keeps an unparseable address as it is, bounded', () => {
    expect(clientSubject('not-an-ip')).toBe('ip:not-an-ip');
    expect(clientSubject('x'.repeat(500))).toHaveLength(3 + 64);
  });
});

describe('when a sign-in needs a captcha', () => {
  it('after 3 failures for the account or 5 from the client', () => {
    expect(captchaReason({ account: 2, client: 4 })).toBeUndefined();
    expect(captchaReason({ account: 3, client: 0 })).toBe('account');
    expect(captchaReason({ account: 0, client: 5 })).toBe('client');
    expect(captchaReason({ account: 3, client: 5 })).toBe('account');
  });
});

describe('captcha level of an account under attack', () => {
  it('rises with its failures and stops at the hardest level', () => {
    expect([0, 3, 9, 10, 19, 20, 39, 40, 10_000].map(captchaLevelFor)).toEqual([0, 0, 0, 1, 1, 2, 2, 3, 3]);
    expect(captchaLevelFor(Number.MAX_SAFE_INTEGER)).toBe(MAX_CAPTCHA_LEVEL);
  });
});
