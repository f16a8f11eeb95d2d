/**
 * Authentication as TextVerified does it (contract §A.1): `POST /auth` with `X-API-KEY` and
 * `X-API-USERNAME` mints a JWT-like bearer token that expires; every other call needs it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { iso } from './wire.js';

/** Constant-time string comparison (hash first so lengths never leak). */
const sameSecret = (given: unknown, expected: string): boolean =>
  typeof given === 'string' &&
  timingSafeEqual(
    createHash('sha256').update(given).digest(),
    createHash('sha256').update(expected).digest(),
  );

export const unauthorized = (reply: FastifyReply, description: string) =>
  reply
    .code(401)
    .header('www-authenticate', 'Bearer')
    .send({ errorCode: 'Unauthorized', errorDescription: description });

export class BearerTokens {
  /** token → expiry (epoch ms). */
  private readonly tokens = new Map<string, number>();

  constructor(private readonly opts: { apiKey: string; username: string; ttlMs: number; now: () => Date }) {}

  /** The `BearerToken` body for good credentials, or null. */
  issue(apiKey: unknown, username: unknown): { token: string; expiresIn: number; expiresAt: string } | null {
    if (
      !sameSecret(apiKey, this.opts.apiKey) ||
      typeof username !== 'string' ||
      username.toLowerCase() !== this.opts.username.toLowerCase()
    ) {
      return null;
    }
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const expiresAt = this.opts.now().getTime() + this.opts.ttlMs;
    const claims = Buffer.from(
      JSON.stringify({ sub: this.opts.username, exp: Math.floor(expiresAt / 1000) }),
    ).toString('base64url');
    const token = `${header}.${claims}.${randomBytes(32).toString('base64url')}`;
    this.tokens.set(token, expiresAt);
    return {
      token,
      expiresIn: Math.max(0, Math.floor(this.opts.ttlMs / 1000) - 1),
      expiresAt: iso(new Date(expiresAt)),
    };
  }

  /** A `preHandler` that answers 401 unless the request carries a live bearer token. */
  readonly require = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return unauthorized(reply, 'A bearer token is required.');
    const expiresAt = this.tokens.get(match[1]);
    if (expiresAt === undefined) return unauthorized(reply, 'The bearer token is not valid.');
    if (this.opts.now().getTime() >= expiresAt) {
      this.tokens.delete(match[1]);
      return unauthorized(reply, 'The bearer token has expired.');
    }
  };

  /** Invalidates every token issued so far. */
  clear(): void {
    this.tokens.clear();
  }
}
