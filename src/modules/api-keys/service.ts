import type { Db } from '../../platform/db/database.js';
import { AppError, notFound, validationFailed } from '../../platform/errors.js';
import { lockUser } from '../accounts/service.js';
import { hashToken, newOpaqueToken } from '../accounts/secrets.js';
import { recordAudit } from '../audit/service.js';
import { getTier } from '../tiers/service.js';
import { API_KEY_PREFIX, normalizeCidrs, visiblePrefix } from './domain.js';
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

/** Creates a key; the secret is in the result and nowhere else, ever again. */
export async function createApiKey(
  db: Db,
  input: {
    userId: string;
    name: string;
    scopes: string[];
    allowedCidrs?: string[] | undefined;
    ip: string | null;
  },
): Promise<{ key: string; apiKey: ReturnType<typeof describeKey> }> {
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
    const user = await lockUser(tx, input.userId);
    if (!user) throw notFound('User');
    // How many keys a tier may hold is the tier row's (`null` = unlimited).
    const limit = (await getTier(tx, user.tier)).apiKeyLimit;
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
    await recordAudit(tx, {
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

export async function listApiKeys(db: Db, userId: string) {
  return (await store.liveKeysOf(db, userId)).map(describeKey);
}

/** Another user's key, or an unknown one, is 404. */
export async function revokeApiKey(db: Db, userId: string, id: string, ip: string | null): Promise<void> {
  if (!(await store.revokeKey(db, userId, id))) throw notFound('API key');
  await recordAudit(db, {
    actorId: userId,
    action: 'api_key.revoked',
    subjectType: 'api_key',
    subjectId: id,
    ip,
  });
}

/** The live key a presented secret belongs to, for the authentication plugin. */
export async function findLiveApiKey(db: Db, presented: string): Promise<ApiKey | undefined> {
  if (!presented.startsWith(API_KEY_PREFIX) || presented.length > 200) return undefined;
  const key = await store.liveKeyByHash(db, hashToken(presented));
  if (key && (key.lastUsedAt === null || Date.now() - key.lastUsedAt.getTime() > 60_000)) {
    await store.touchKey(db, key.id);
  }
  return key;
}

/** Of these keys, the ones not revoked, for long-lived responses (SSE) that re-check their access. */
export const liveApiKeyIds = (db: Db, ids: readonly string[]): Promise<string[]> => store.liveKeyIds(db, ids);
