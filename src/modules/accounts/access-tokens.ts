import { randomUUID } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
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

/**
 * fast-jwt verifies synchronously with node:crypto: every API request carries a token, and a
 * WebCrypto verification (jose) is a thread-pool job per request (measured on the purchase path).
 */
export function createAccessTokens(secrets: AppSecrets): AccessTokens {
  const keys = deriveKeys(secrets, 'access-jwt-hs256');
  const signer = createSigner({ key: keys[0]!, algorithm: 'HS256' });
  const verifiers = keys.map((key) =>
    createVerifier({
      key,
      algorithms: ['HS256'],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      requiredClaims: ['exp', 'sub', 'sid', 'jti'],
    }),
  );
  return {
    sign: async (userId, sessionId, options = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return signer({
        sub: userId,
        sid: sessionId,
        jti: randomUUID(),
        iss: ISSUER,
        aud: AUDIENCE,
        iat: now,
        exp: now + (options.expiresInSeconds ?? ACCESS_TOKEN_SECONDS),
      }) as string;
    },
    async verify(token) {
      if (token.length > 4096) return undefined;
      for (const verifier of verifiers) {
        const claims = claimsOf(verifier, token);
        if (claims) return claims;
      }
      return undefined;
    },
  };
}

function claimsOf(verifier: (token: string) => unknown, token: string): AccessClaims | undefined {
  let payload: Record<string, unknown>;
  try {
    payload = verifier(token) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { sub, sid, jti } = payload;
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return undefined;
  return { userId: sub, sessionId: sid, jti };
}
