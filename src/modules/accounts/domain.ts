import ipaddr from 'ipaddr.js';

/** The values of the enum-typed columns (each also held by a CHECK constraint in the schema). */
export const USER_ROLES = ['user', 'admin'] as const;
export const USER_STATUSES = ['active', 'suspended'] as const;
export const EMAIL_TOKEN_PURPOSES = ['confirm_email', 'password_reset'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export type UserStatus = (typeof USER_STATUSES)[number];
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

/**
 * Pure rules of the sign-in lockout (SPEC §5: a captcha on login after repeated failures or when
 * the client is flagged; the lockout cannot lock a victim out, because a solved captcha always
 * lets the attempt through to the password check).
 */

/** After this many failed sign-ins for one e-mail (in the window) every attempt on it needs a captcha.
 * There is no per-account refusal beyond it: a correct password with a solved captcha gets in. */
export const CAPTCHA_AFTER_FAILURES = 3;
/** Failures on one account from which its captcha gets harder: level 1, 2, 3 (see `captcha.ts`). */
const CAPTCHA_LEVEL_STEPS = [10, 20, 40] as const;
/** After this many failed sign-ins from one client (across accounts, in the window) the client is
 * flagged: every sign-in from it needs a captcha, whichever account it names. */
export const CAPTCHA_AFTER_CLIENT_FAILURES = 5;
/** Failures count while each comes within this long of the previous one. */
export const FAILURE_WINDOW_SECONDS = 60 * 60;

/** The failure-count subject of an e-mail address (already normalized). */
export const emailSubject = (email: string) => `email:${email}`;

/**
 * The failure-count subject of a client address. IPv4 (and IPv4-mapped IPv6) counts per address;
 * IPv6 per /64, the block one subscriber usually holds, so rotating addresses inside it does not
 * reset the count.
 */
export function clientSubject(ip: string): string {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return `ip:${ip.slice(0, 64)}`;
  }
  if (address.kind() === 'ipv4') return `ip:${address.toString()}`;
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4);
  const network = new ipaddr.IPv6([...parts, 0, 0, 0, 0]);
  return `ip:${network.toString()}/64`;
}

export type CaptchaReason = 'account' | 'client';

/** The captcha level asked of a sign-in on an account with this many recent failures. */
export const captchaLevelFor = (failures: number): number =>
  CAPTCHA_LEVEL_STEPS.filter((step) => failures >= step).length;

/** Why this sign-in needs a captcha, or undefined when it does not. */
export function captchaReason(counts: { account: number; client: number }): CaptchaReason | undefined {
  if (counts.account >= CAPTCHA_AFTER_FAILURES) return 'account';
  if (counts.client >= CAPTCHA_AFTER_CLIENT_FAILURES) return 'client';
  return undefined;
}
