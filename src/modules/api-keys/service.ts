import type { Db } from '../../platform/db/database.js';
import { AppError, notFound, unauthenticated, validationFailed } from '../../platform/errors.js';
import { type AccountsService, hashToken, newOpaqueToken } from '../accounts/index.js';
import type { AuditService } from '../audit/index.js';
import type { TiersService } from '../tiers/index.js';
import { API_KEY_PREFIX, type ApiKeyScope, normalizeCidrs, visiblePrefix } from './domain.js';
import * as store from './store.js';

export type ApiKey = store.ApiKeyRow;

/** What the owner sees of a key; the replaced secret only while it is still accepted at `now`. */
export function describeKey(key: ApiKey, now: Date) {
  const overlapping = key.previousKeyExpiresAt !== null && key.previousKeyExpiresAt.getTime() > now.getTime();
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    allowedCidrs: key.allowedCidrs ?? [],
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
    previousPrefix: overlapping ? key.previousPrefix : null,
    previousKeyExpiresAt: overlapping ? key.previousKeyExpiresAt!.toISOString() : null,
  };
}
type ApiKeyView = ReturnType<typeof describeKey>;

export interface ApiKeysDeps {
  db: Db;
  accounts: Pick<AccountsService, 'lockUser'>;
  tiers: TiersService;
  audit: AuditService;
  /** How long a rotated-out secret keeps working (config `API_KEY_ROTATION_OVERLAP_HOURS`). */
  rotationOverlapMs: number;
  /** The clock overlaps are measured on (tests move it past the end of one). */
  now?: () => Date;
}

/** API keys: created, listed and revoked by their owner; resolved by the authentication hook. */
export function createApiKeysService(deps: ApiKeysDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  /** Creates a key; the secret is in the result and nowhere else, ever again. */
  async function createApiKey(input: {
    userId: string;
    name: string;
    scopes: ApiKeyScope[];
    allowedCidrs?: string[] | undefined;
    ip: string | null;
  }): Promise<{ key: string; apiKey: ApiKeyView }> {
    let cidrs: string[] | null = null;
    if (input.allowedCidrs && input.allowedCidrs.length > 0) {
      try {
        cidrs = normalizeCidrs(input.allowedCidrs);
      } catch (error) {
        throw validationFailed((error as Error).message, { field: 'allowedCidrs' });
      }
    }
    const secret = newOpaqueToken(API_KEY_PREFIX);
    const created = await db.transaction(async (tx) => {
      // The user row lock serialises concurrent creations, so the tier limit holds.
      const user = await deps.accounts.lockUser(tx, input.userId);
      // The caller's own row is gone (deleted after authentication): they are nobody now.
      if (!user) throw unauthenticated();
      // How many keys a tier may hold is the tier row's (`null` = unlimited).
      const limit = (await deps.tiers.get(user.tier, tx)).apiKeyLimit;
      if (limit !== null && (await store.countLiveKeys(tx, user.id)) >= limit) {
        throw new AppError(
          403,
          'tier_required',
          limit === 0
            ? 'API keys are not part of your plan; upgrade to create one.'
            : `Your plan allows ${limit} API keys; revoke one or upgrade to create another.`,
        );
      }
      const row = await store.insertKey(tx, {
        userId: user.id,
        name: input.name,
        prefix: visiblePrefix(secret),
        keyHash: hashToken(secret),
        scopes: [...new Set(input.scopes)],
        allowedCidrs: cidrs,
      });
      await deps.audit.record(tx, {
        actorId: user.id,
        action: 'api_key.created',
        subjectType: 'api_key',
        subjectId: row.id,
        ip: input.ip,
        details: { name: row.name, prefix: row.prefix, scopes: row.scopes },
      });
      return row;
    });
    return { key: secret, apiKey: describeKey(created, now()) };
  }

  async function listApiKeys(userId: string) {
    const at = now();
    return (await store.liveKeysOf(db, userId)).map((key) => describeKey(key, at));
  }

  /**
   * A new secret for the same key (name, scopes, allowlist unchanged), shown once. The replaced
   * secret keeps working for the overlap so deployed callers can switch; a secret replaced by an
   * earlier rotation stops at once. Another user's key, or a revoked one, is 404.
   */
  async function rotateApiKey(
    userId: string,
    id: string,
    ip: string | null,
  ): Promise<{ key: string; apiKey: ApiKeyView }> {
    const secret = newOpaqueToken(API_KEY_PREFIX);
    const at = now();
    const rotated = await db.transaction(async (tx) => {
      const row = await store.rotateKey(tx, userId, id, {
        keyHash: hashToken(secret),
        prefix: visiblePrefix(secret),
        previousKeyExpiresAt: new Date(at.getTime() + deps.rotationOverlapMs),
      });
      if (!row) throw notFound('API key');
      await deps.audit.record(tx, {
        actorId: userId,
        action: 'api_key.rotated',
        subjectType: 'api_key',
        subjectId: row.id,
        ip,
        details: {
          prefix: row.prefix,
          previousPrefix: row.previousPrefix,
          // Not named "…Key…": the audit log drops fields that look like secrets.
          overlapEndsAt: row.previousKeyExpiresAt?.toISOString() ?? null,
        },
      });
      return row;
    });
    return { key: secret, apiKey: describeKey(rotated, at) };
  }

  /** Another user's key, or an unknown one, is 404. Both secrets of a rotated key end at once. */
  async function revokeApiKey(userId: string, id: string, ip: string | null): Promise<void> {
    if (!(await store.revokeKey(db, userId, id))) throw notFound('API key');
    await deps.audit.record(db, {
      actorId: userId,
      action: 'api_key.revoked',
      subjectType: 'api_key',
      subjectId: id,
      ip,
    });
  }

  /** The live key a presented secret belongs to, for the authentication plugin. */
  async function findLiveApiKey(presented: string): Promise<ApiKey | undefined> {
    if (!presented.startsWith(API_KEY_PREFIX) || presented.length > 200) return undefined;
    const key = await store.liveKeyByHash(db, hashToken(presented), now());
    if (key && (key.lastUsedAt === null || Date.now() - key.lastUsedAt.getTime() > 60_000)) {
      await store.touchKey(db, key.id);
    }
    return key;
  }

  /** Of these keys, the ones not revoked, for long-lived responses (SSE) that re-check their access. */
  const liveApiKeyIds = (ids: readonly string[]): Promise<string[]> => store.liveKeyIds(db, ids);

  return {
    create: createApiKey,
    list: listApiKeys,
    rotate: rotateApiKey,
    revoke: revokeApiKey,
    findLive: findLiveApiKey,
    liveApiKeyIds,
  };
}
export type ApiKeysService = ReturnType<typeof createApiKeysService>;
