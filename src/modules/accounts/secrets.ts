import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * Key material and opaque tokens. Every key is derived from APP_SECRET with HKDF and a purpose
 * label, so one secret never serves two uses.
 */
export function deriveKey(appSecret: string, purpose: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', appSecret, 'namaskah', purpose, length));
}

/**
 * APP_SECRET, and during a rotation the secrets still accepted: what they signed or sealed is
 * read, nothing new is written with them (Django's SECRET_KEY_FALLBACKS).
 */
export interface AppSecrets {
  appSecret: string;
  appSecretFallbacks: readonly string[];
}

/** One purpose's keys: the current one first, then those of the fallbacks. */
export const deriveKeys = (secrets: AppSecrets, purpose: string): Buffer[] =>
  [secrets.appSecret, ...secrets.appSecretFallbacks].map((secret) => deriveKey(secret, purpose));

/** A high-entropy opaque token (refresh, e-mail): 32 random bytes, base64url, optional prefix. */
export const newOpaqueToken = (prefix = '') => `${prefix}${randomBytes(32).toString('base64url')}`;

/** SHA-256 is right for high-entropy tokens: nothing to brute force, constant work to check. */
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** AES-256-GCM for small secrets at rest (TOTP seeds): `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export function sealSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'v1',
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    body.toString('base64url'),
  ].join('.');
}

/** Seals with the current secret's key; opens what the current secret or a fallback sealed. */
export interface Sealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** Sealed with a fallback's key: a re-seal would move it to the current one. */
  isStale(sealed: string): boolean;
}

export function createSealer(secrets: AppSecrets, purpose: string): Sealer {
  const keys = deriveKeys(secrets, purpose);
  const [current, ...fallbacks] = keys as [Buffer, ...Buffer[]];
  const tryOpen = (key: Buffer, sealed: string): string | undefined => {
    try {
      return openSecret(key, sealed);
    } catch {
      return undefined;
    }
  };
  return {
    seal: (plaintext) => sealSecret(current, plaintext),
    open(sealed) {
      for (const key of keys) {
        const plaintext = tryOpen(key, sealed);
        if (plaintext !== undefined) return plaintext;
      }
      throw new Error(
        'Unreadable sealed secret (sealed with a secret that is neither current nor a fallback).',
      );
    },
    isStale: (sealed) =>
      tryOpen(current, sealed) === undefined && fallbacks.some((key) => tryOpen(key, sealed) !== undefined),
  };
}

export function openSecret(key: Buffer, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('Unreadable sealed secret.');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
