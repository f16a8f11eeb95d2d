import { randomUUID, webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { type AppSecrets, deriveKeys } from './secrets.js';

/** Access JWTs: HS256 with a key derived from APP_SECRET, 15 minutes, `sub`, `sid`, `jti`. */
export const ACCESS_TOKEN_SECONDS = 15 * 60;
const ISSUER = 'namaskah';
const AUDIENCE = 'namaskah-api';

export interface AccessClaims {
  userId: string;
  sessionId: string;
  jti: string;
}

export interface AccessTokens {
  sign(userId: string, sessionId: string, options?: { expiresInSeconds?: number }): Promise<string>;
  /** The claims of a valid token, or undefined for anything else (alg none, wrong key, expired, tampered). */
  verify(token: string): Promise<AccessClaims | undefined>;
}

export function createAccessTokens(secrets: AppSecrets): AccessTokens {
  // Imported once: handing jose raw bytes imports an HMAC key on every verification (measured on
  // the purchase path, where each request carries a token).
  const keys = deriveKeys(secrets, 'access-jwt-hs256').map((raw) =>
    webcrypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]),
  );
  const key = keys[0]!;
  return {
    sign: async (userId, sessionId, options = {}) =>
      new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setJti(randomUUID())
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? ACCESS_TOKEN_SECONDS))
        .sign(await key),
    async verify(token) {
      if (token.length > 4096) return undefined;
      for (const candidate of keys) {
        const claims = await verifyWith(await candidate, token);
        if (claims) return claims;
      }
      return undefined;
    },
  };
}

async function verifyWith(key: webcrypto.CryptoKey, token: string): Promise<AccessClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const sid = payload.sid;
    if (typeof payload.sub !== 'string' || typeof sid !== 'string' || typeof payload.jti !== 'string')
      return undefined;
    return { userId: payload.sub, sessionId: sid, jti: payload.jti };
  } catch {
    return undefined;
  }
}
