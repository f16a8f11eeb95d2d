import type { FastifyInstance } from 'fastify';

/** Who is calling: set by the authentication hook (accounts module), read by authorization and idempotency. */
export interface Principal {
  userId: string;
  email: string;
  /** The user's tier name (freemium, payg, pro, custom); the tiers module holds what each allows. */
  tier: string;
  role: 'user' | 'admin';
  /** Money moves only for confirmed addresses (top-ups, purchases). */
  emailConfirmed: boolean;
  /** Two-factor authentication is on (administrators need it). */
  mfaEnabled: boolean;
  via: 'session' | 'access_token' | 'api_key';
  sessionId?: string;
  apiKeyId?: string;
  /** API keys carry scopes; sessions may do everything their role allows. */
  scopes?: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function registerPrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
}
