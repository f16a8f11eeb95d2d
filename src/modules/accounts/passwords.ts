import { readFileSync } from 'node:fs';
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { validationFailed } from '../../platform/errors.js';

/**
 * Password policy of SPEC §5 (ASVS 6.2): 8 to 128 characters, not a known common password, no
 * control characters, no composition rules (spaces and any other Unicode are welcome). Hashing is argon2id with OWASP's m=19 MiB, t=2, p=1.
 */
const PASSWORD_MIN = 8;
const PASSWORD_MAX = 128;

// `Algorithm` is an ambient const enum (not importable as a value here): 2 is Argon2id.
const ARGON2 = {
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  if (!common) {
    const file = new URL('./data/common-passwords.txt', import.meta.url);
    common = new Set(
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed file shipped beside this module
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#')),
    );
  }
  return common;
}

/** The reason a password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `The password must be at least ${PASSWORD_MIN} characters long.`;
  if (length > PASSWORD_MAX) return `The password must be at most ${PASSWORD_MAX} characters long.`;
  // A NUL, a line break or an escape: no keyboard or password manager types it back reliably.
  if (/\p{Cc}/u.test(password)) {
    return 'The password must not contain control characters (such as a line break or a NUL).';
  }
  const lowered = password.toLowerCase();
  if (commonPasswords().has(lowered)) {
    return 'This password is too common: it appears in lists of breached passwords. Please choose another.';
  }
  if (email && lowered === email.toLowerCase()) return 'The password must not be your e-mail address.';
  if (/^(.)\1+$/u.test(password)) return 'The password must not be one character repeated.';
  return undefined;
}

export function assertAcceptablePassword(password: string, email?: string): void {
  const problem = passwordProblem(password, email);
  if (problem) throw validationFailed(problem, { field: 'password' });
}

export const hashPassword = (password: string) => hash(password, ARGON2);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Verifies against a throwaway hash so an unknown e-mail costs the same time as a wrong password. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('namaskah-dummy-password-for-timing');
  await verifyPassword(await dummy, password);
}
