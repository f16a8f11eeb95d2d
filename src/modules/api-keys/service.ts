import type { Db } from '../../platform/db/database.js';
import { AppError, notFound, unauthenticated, validationFailed } from '../../platform/errors.js';
import { type AccountsService, hashToken, newOpaqueToken } from '../accounts/index.js';
import type { AuditService } from '../audit/index.js';
import type { TiersService } from '../tiers/index.js';
import { API_KEY_PREFIX, type ApiKeyScope, normalizeCidrs, visiblePrefix } from './domain.js';
import * as store from './store.js';

export type ApiKey = store.ApiKeyRow;

export function describeKey(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    allowedCidrs: key.allowedCidrs ?? [],
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
  };
}

export interface ApiKeysDeps {
  db: Db;
  accounts: Pick<AccountsService, 'lockUser'>;
  tiers: TiersService;
  audit: AuditService;
}

/** API keys: created, listed and revoked by their owner; resolved by the authentication hook. */
export function createApiKeysService(deps: ApiKeysDeps) {
  const { db } = deps;
  /** Creates a key; the secret is in the result and nowhere else, ever again. */
  async function createApiKey(input: {
    userId: string;
    name: string;
    scopes: ApiKeyScope[];
    allowedCidrs?: string[] | undefined;
    ip: string | null;
  }): Promise<{ key: string; apiKey: ReturnType<typeof describeKey> }> {
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
    return { key: secret, apiKey: describeKey(created) };
  }

  async function listApiKeys(userId: string) {
    return (await store.liveKeysOf(db, userId)).map(describeKey);
  }

  /** Another user's key, or an unknown one, is 404. */
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
    const key = await store.liveKeyByHash(db, hashToken(presented));
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
    revoke: revokeApiKey,
    findLive: findLiveApiKey,
    liveApiKeyIds,
  };
}
export type ApiKeysService = ReturnType<typeof createApiKeysService>;
