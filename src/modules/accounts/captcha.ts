import { type Challenge, type Solution, createChallenge, randomInt, verifySolution } from 'altcha-lib';
import { deriveKey as pbkdf2 } from 'altcha-lib/algorithms/pbkdf2';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { type AppSecrets, deriveKeys } from './secrets.js';
import * as store from './store.js';

/**
 * Self-hosted ALTCHA proof of work (v2 API, PBKDF2/SHA-256). The cost is tuned so that one
 * browser thread solves a challenge in roughly 0.1–0.3 s (measured ~110 ms in Node for cost 100,
 * counter 1,000–3,000); a bot paying that for every attempt is slowed a lot.
 * A solved challenge is accepted once: its signature is recorded until the challenge expires
 * in a table: the database, not the optional Redis, decides, so a Redis outage never blocks sign-up.
 */
const CAPTCHA_ALGORITHM = 'PBKDF2/SHA-256';
const COST = 100;
const COUNTER_MIN = 1_000;
const COUNTER_MAX = 4_000;
const TTL_SECONDS = 10 * 60;
/**
 * Harder challenges for accounts under attack: each level doubles the expected work (the counter
 * range), the signed `data.level` says which level a challenge is. Capped so that the owner's
 * browser still solves the hardest in a couple of seconds: a lockout that never locks anyone out.
 */
export const MAX_CAPTCHA_LEVEL = 3;

export const captchaRequired = (
  message = 'Please solve the captcha and try again.',
  details?: { captchaLevel: number },
) => new AppError(403, 'captcha_required', message, details);
const captchaTooEasy = (level: number) =>
  new AppError(
    403,
    'captcha_required',
    'This sign-in needs a harder captcha: solve a challenge of the level given.',
    { captchaLevel: level },
  );
const captchaInvalid = () =>
  new AppError(403, 'captcha_required', 'The captcha solution is missing, invalid, expired or already used.');

export interface Captcha {
  /** A challenge of `level` (0 = the ordinary one, up to `MAX_CAPTCHA_LEVEL`). */
  challenge(level?: number): Promise<Challenge>;
  /**
   * Throws 403 `captcha_required` unless `payload` is a fresh, valid, unused solution of a
   * challenge of at least `minLevel`.
   */
  verify(payload: string | undefined, options?: { minLevel?: number }): Promise<void>;
}

const levelOf = (challenge: Challenge): number => {
  const level = challenge.parameters.data?.level;
  return typeof level === 'number' && Number.isInteger(level) ? level : 0;
};

export function createCaptcha(options: { secrets: AppSecrets; db: Db }): Captcha {
  // Challenges are signed with the current secret; one signed before a rotation still verifies.
  const signatureSecrets = deriveKeys(options.secrets, 'captcha-signature').map((key) => key.toString('hex'));
  const keySignatureSecrets = deriveKeys(options.secrets, 'captcha-key-signature').map((key) =>
    key.toString('hex'),
  );
  const hmacSignatureSecret = signatureSecrets[0]!;
  const hmacKeySignatureSecret = keySignatureSecrets[0]!;

  const claim = (challengeId: string, expiresAt: number): Promise<boolean> =>
    store.claimCaptcha(options.db, challengeId, new Date(expiresAt * 1000));

  return {
    challenge: (level = 0) => {
      const bounded = Math.min(MAX_CAPTCHA_LEVEL, Math.max(0, Math.floor(level)));
      return createChallenge({
        algorithm: CAPTCHA_ALGORITHM,
        cost: COST,
        counter: randomInt(COUNTER_MIN * 2 ** bounded, COUNTER_MAX * 2 ** bounded),
        ...(bounded > 0 ? { data: { level: bounded } } : {}),
        deriveKey: pbkdf2,
        hmacSignatureSecret,
        hmacKeySignatureSecret,
        expiresAt: Math.floor(Date.now() / 1000) + TTL_SECONDS,
      });
    },

    async verify(payload, verifyOptions = {}) {
      if (!payload) throw captchaRequired();
      const parsed = parsePayload(payload);
      if (!parsed) throw captchaInvalid();
      const { challenge, solution } = parsed;
      // Only our own parameters are acceptable: a client may not pick a cheaper algorithm or cost.
      const p = challenge.parameters;
      if (p.algorithm !== CAPTCHA_ALGORITHM || p.cost !== COST || typeof p.expiresAt !== 'number')
        throw captchaInvalid();
      let verified = false;
      for (const [i, signatureSecret] of signatureSecrets.entries()) {
        if (verified) break;
        try {
          const result = await verifySolution({
            challenge,
            solution,
            deriveKey: pbkdf2,
            hmacSignatureSecret: signatureSecret,
            hmacKeySignatureSecret: keySignatureSecrets[i]!,
          });
          verified = result.verified;
        } catch {
          verified = false;
        }
      }
      if (!verified || !challenge.signature) throw captchaInvalid();
      if (levelOf(challenge) < (verifyOptions.minLevel ?? 0))
        throw captchaTooEasy(verifyOptions.minLevel ?? 0);
      if (!(await claim(challenge.signature, p.expiresAt))) throw captchaInvalid();
    },
  };
}

/** The widget sends base64(JSON `{challenge, solution}`); plain JSON is accepted too. */
function parsePayload(payload: string): { challenge: Challenge; solution: Solution } | undefined {
  if (payload.length > 4096) return undefined;
  for (const text of [payload, safeBase64(payload)]) {
    if (!text) continue;
    try {
      const value = JSON.parse(text) as { challenge?: Challenge; solution?: Solution };
      const c = value.challenge;
      const s = value.solution;
      if (
        c &&
        typeof c === 'object' &&
        c.parameters &&
        typeof c.parameters === 'object' &&
        s &&
        typeof s === 'object' &&
        Number.isInteger(s.counter) &&
        typeof s.derivedKey === 'string'
      ) {
        return { challenge: c, solution: s };
      }
    } catch {
      // not this encoding
    }
  }
  return undefined;
}

function safeBase64(value: string): string | undefined {
  try {
    return Buffer.from(value, 'base64').toString('utf8');
  } catch {
    return undefined;
  }
}
