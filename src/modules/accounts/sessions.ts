import { batched } from '../../platform/db/batching.js';
import type { Db } from '../../platform/db/database.js';
import { forbidden, notFound, unauthenticated } from '../../platform/errors.js';
import { ACCESS_TOKEN_SECONDS } from './access-tokens.js';
import type { AccountsContext, IssuedTokens, RequestContext } from './context.js';
import { createLogin } from './login.js';
import { hashToken, newOpaqueToken } from './secrets.js';
import * as store from './store.js';
import { publicUser } from './users.js';

type Rotation =
  { kind: 'unknown' | 'reused' | 'ended' | 'suspended' } | { kind: 'rotated'; session: store.SessionRow };

const suspended = () => forbidden('This account is suspended.');

/** Signing in, refresh-token rotation, signing out and the user's list of sessions. */
export function createSessions(ctx: AccountsContext) {
  const { db } = ctx;
  // Read by every authenticated request: one statement per turn of the event loop under load.
  const liveSession = batched((claims: readonly store.SessionClaim[]) =>
    store.liveSessionsWithUsers(db, claims),
  );

  /** In the caller's transaction: rotates the presented token, or says why not. */
  async function rotate(tx: Db, presented: string, next: string, context: RequestContext): Promise<Rotation> {
    const found = await store.refreshTokenForUpdate(tx, hashToken(presented));
    if (!found) return { kind: 'unknown' };
    const { token, session } = found;
    if (token.rotatedAt !== null) {
      if (await store.revokeSession(tx, session.id, 'refresh_token_reuse')) {
        await ctx.audit.record(tx, {
          actorId: session.userId,
          action: 'session.refresh_reuse',
          subjectType: 'session',
          subjectId: session.id,
          ip: context.ip,
        });
      }
      return { kind: 'reused' };
    }
    if (session.revokedAt !== null || session.expiresAt.getTime() <= Date.now()) return { kind: 'ended' };
    // Refused before rotating: a suspended user's token stays as it was (usable once unsuspended).
    const owner = await store.userById(tx, session.userId);
    if (!owner) return { kind: 'unknown' };
    if (owner.status !== 'active') return { kind: 'suspended' };
    await store.markRotated(tx, token.id);
    await store.insertRefreshToken(tx, session.id, hashToken(next));
    await store.touchSession(tx, session.id, context.ip);
    return { kind: 'rotated', session };
  }

  /** Rotates a refresh token; presenting a rotated one again revokes its whole family. */
  async function refresh(refreshToken: string, context: RequestContext): Promise<IssuedTokens> {
    const newToken = newOpaqueToken('nmr_');
    const outcome = await db.transaction((tx) => rotate(tx, refreshToken, newToken, context));
    if (outcome.kind === 'suspended') throw suspended();
    if (outcome.kind !== 'rotated')
      throw unauthenticated('The refresh token is invalid, expired or revoked. Please sign in again.');
    const user = await store.userById(db, outcome.session.userId);
    if (!user) throw unauthenticated();
    if (user.status !== 'active') throw suspended();
    const accessToken = await ctx.tokens.sign(user.id, outcome.session.id);
    return {
      accessToken,
      refreshToken: newToken,
      expiresIn: ACCESS_TOKEN_SECONDS,
      sessionId: outcome.session.id,
      user: publicUser(user),
    };
  }

  /** Ends the session a refresh token belongs to (when the access token is not at hand). */
  async function sessionIdOfRefreshToken(refreshToken: string): Promise<string | undefined> {
    const found = await store.refreshTokenForUpdate(db, hashToken(refreshToken));
    return found?.session.id;
  }

  async function logout(sessionId: string, userId: string | null, context: RequestContext) {
    const session = await store.sessionById(db, sessionId);
    if (!session || (userId && session.userId !== userId)) return;
    if (await store.revokeSession(db, sessionId, 'logout')) {
      await ctx.audit.record(db, {
        actorId: session.userId,
        action: 'session.logout',
        subjectType: 'session',
        subjectId: sessionId,
        ip: context.ip,
      });
    }
  }

  async function listSessions(userId: string, currentSessionId: string | undefined) {
    const rows = await store.liveSessionsOf(db, userId);
    return rows.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      ip: s.ip,
      userAgent: s.userAgent,
      current: s.id === currentSessionId,
    }));
  }

  async function revokeSessionOf(userId: string, sessionId: string, context: RequestContext) {
    if (!(await store.revokeSession(db, sessionId, 'revoked_by_user', userId))) throw notFound('Session');
    await ctx.audit.record(db, {
      actorId: userId,
      action: 'session.revoked',
      subjectType: 'session',
      subjectId: sessionId,
      ip: context.ip,
    });
  }

  return {
    ...createLogin(ctx),
    refresh,
    sessionIdOfRefreshToken,
    logout,
    listSessions,
    revokeSessionOf,
    /** For the authentication hook: the live session's user, or undefined. */
    sessionWithUser: (sessionId: string, userId: string) => liveSession({ sessionId, userId }),
    /** For long-lived responses (SSE) that re-check their access: which sessions are still live. */
    liveSessionIds: (ids: readonly string[]) => store.liveSessionIds(db, ids),
  };
}
