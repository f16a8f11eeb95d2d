import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type SignedIn, signInUser } from '../../../test/support/admin.js';
import { nextIp } from '../../../test/support/attacker.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { type OpenApiDocument, documentationProblems } from '../../../test/support/openapi.js';
import { createApiKeysService } from './index.js';

const HOUR = 3_600_000;
/** The clock the API keys run on: tests move it past the end of an overlap. */
const clock = { now: new Date() };

let testDb: TestDatabase;
let app: TestApp;
let alice: SignedIn;
let bob: SignedIn;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase();
  app = await createTestApp({
    database: testDb.database,
    replace: (built, platform) => ({
      apiKeys: createApiKeysService({
        db: platform.database.db,
        accounts: built.accounts,
        tiers: built.tiers,
        audit: built.audit,
        rotationOverlapMs: platform.config.apiKeyRotationOverlapHours * HOUR,
        now: () => clock.now,
      }),
    }),
  });
  await app.ready();
  alice = await signInUser(app);
  bob = await signInUser(app);
  // Custom: no limit on how many keys the tests create.
  for (const user of [alice, bob]) await app.services.accounts.setUserTier(user.userId, 'custom');
}, 60_000);

afterAll(async () => {
  await app?.close();
  await testDb?.dispose();
});

interface KeyBody {
  id: string;
  key: string;
  prefix: string;
  previousPrefix: string | null;
  previousKeyExpiresAt: string | null;
}

const as = (user: SignedIn | null, options: InjectOptions) =>
  app.inject({
    remoteAddress: nextIp(),
    ...options,
    headers: { ...(user ? { authorization: `Bearer ${user.accessToken}` } : {}), ...options.headers },
  });

/** Who the API says a secret belongs to: the user id, or the refusal's status. */
async function whoIs(secret: string): Promise<string | number> {
  const me = await as(null, { url: '/api/v1/me', headers: { authorization: `Bearer ${secret}` } });
  return me.statusCode === 200 ? me.json<{ id: string }>().id : me.statusCode;
}

async function createKey(user: SignedIn): Promise<KeyBody> {
  const made = await as(user, {
    method: 'POST',
    url: '/api/v1/api-keys',
    payload: { name: `ci-${randomUUID().slice(0, 6)}`, scopes: ['account:read'] },
  });
  expect(made.statusCode, made.body).toBe(201);
  return made.json<KeyBody>();
}

const rotate = (user: SignedIn, id: string, idempotencyKey?: string) =>
  as(user, {
    method: 'POST',
    url: `/api/v1/api-keys/${id}/rotate`,
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });

async function rotated(user: SignedIn, id: string): Promise<KeyBody> {
  const response = await rotate(user, id);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<KeyBody>();
}

describe('API key rotation', () => {
  it('gives a new secret at once; the old one works for 24 hours, then is refused with 401', async () => {
    clock.now = new Date();
    const original = await createKey(alice);
    expect(original.previousKeyExpiresAt).toBeNull();
    const next = await rotated(alice, original.id);

    expect(next.id).toBe(original.id);
    expect(next.key).toMatch(/^nmk_live_/);
    expect(next.key).not.toBe(original.key);
    expect(next.prefix).toBe(next.key.slice(0, next.prefix.length));
    expect(next.previousPrefix).toBe(original.prefix);
    expect(new Date(next.previousKeyExpiresAt!).getTime()).toBe(clock.now.getTime() + 24 * HOUR);

    expect(await whoIs(next.key)).toBe(alice.userId);
    expect(await whoIs(original.key)).toBe(alice.userId);
    clock.now = new Date(clock.now.getTime() + 24 * HOUR - 1_000);
    expect(await whoIs(original.key)).toBe(alice.userId);

    clock.now = new Date(clock.now.getTime() + 2_000);
    expect(await whoIs(original.key)).toBe(401);
    expect(await whoIs(next.key)).toBe(alice.userId);
    const listed = (await as(alice, { url: '/api/v1/api-keys' })).json<{ data: KeyBody[] }>().data;
    const entry = listed.find((k) => k.id === original.id)!;
    expect(entry).toMatchObject({ prefix: next.prefix, previousPrefix: null, previousKeyExpiresAt: null });
    expect(JSON.stringify(listed)).not.toContain(next.key);
  });

  it('a second rotation ends the first replaced secret at once and overlaps only the last one', async () => {
    clock.now = new Date();
    const first = await createKey(alice);
    const second = await rotated(alice, first.id);
    const third = await rotated(alice, first.id);
    expect(await whoIs(first.key)).toBe(401);
    expect(await whoIs(second.key)).toBe(alice.userId);
    expect(await whoIs(third.key)).toBe(alice.userId);
  });

  it('revoking during the overlap ends both secrets at once', async () => {
    clock.now = new Date();
    const original = await createKey(alice);
    const next = await rotated(alice, original.id);
    const revoked = await as(alice, { method: 'DELETE', url: `/api/v1/api-keys/${original.id}` });
    expect(revoked.statusCode).toBe(204);
    expect(await whoIs(original.key)).toBe(401);
    expect(await whoIs(next.key)).toBe(401);
    // A revoked key cannot be brought back by rotating it.
    expect((await rotate(alice, original.id)).statusCode).toBe(404);
  });

  it("another user's key, an unknown id or an API key caller cannot rotate", async () => {
    clock.now = new Date();
    const alicesKey = await createKey(alice);
    const stolen = await rotate(bob, alicesKey.id);
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json<{ error: { code: string } }>().error.code).toBe('not_found');
    expect(stolen.body).not.toContain('nmk_live_');
    expect((await rotate(alice, randomUUID())).statusCode).toBe(404);
    const byKey = await as(null, {
      method: 'POST',
      url: `/api/v1/api-keys/${alicesKey.id}/rotate`,
      headers: { authorization: `Bearer ${alicesKey.key}` },
    });
    expect(byKey.statusCode).toBe(403);
    expect((await rotate(alice, 'not-a-uuid')).statusCode).toBe(400);
    // None of these rotated anything: the original secret is still the current one.
    const listed = (await as(alice, { url: '/api/v1/api-keys' })).json<{ data: KeyBody[] }>().data;
    expect(listed.find((k) => k.id === alicesKey.id)).toMatchObject({
      prefix: alicesKey.prefix,
      previousKeyExpiresAt: null,
    });
  });

  it('with an Idempotency-Key a retry returns the same new secret, rotates once and audits once', async () => {
    clock.now = new Date();
    const original = await createKey(alice);
    const idempotencyKey = randomUUID();
    const first = await rotate(alice, original.id, idempotencyKey);
    const retry = await rotate(alice, original.id, idempotencyKey);
    expect(first.statusCode, first.body).toBe(200);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const secret = first.json<KeyBody>().key;
    expect(retry.json<KeyBody>().key).toBe(secret);
    // Rotated once: the secret from before the first call is still in its overlap.
    expect(await whoIs(original.key)).toBe(alice.userId);
    expect(await whoIs(secret)).toBe(alice.userId);

    const entries = await app.services.audit.list({ subjectId: original.id, action: 'api_key.rotated' });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actorId).toBe(alice.userId);
    expect(entries[0]!.details).toMatchObject({
      previousPrefix: original.prefix,
      overlapEndsAt: first.json<KeyBody>().previousKeyExpiresAt,
    });
    expect(JSON.stringify(entries[0])).not.toContain(secret);

    // The stored answer that replays the secret is sealed at rest.
    const stored = await testDb.database.sql.query(
      'select response_body from idempotency_keys where key = $1',
      [idempotencyKey],
    );
    expect(stored.rows).toHaveLength(1);
    expect(String(stored.rows[0]!.response_body)).not.toContain(secret);
    expect(String(stored.rows[0]!.response_body)).not.toContain(original.id);

    const another = await rotate(alice, original.id, randomUUID());
    expect(another.json<KeyBody>().key).not.toBe(secret);
  });

  it('is in the OpenAPI document with its schemas and error codes', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json<OpenApiDocument>();
    const operation = doc.paths['/api/v1/api-keys/{id}/rotate']?.post;
    expect(operation).toBeDefined();
    const only: OpenApiDocument = { ...doc, paths: { '/api/v1/api-keys/{id}/rotate': { post: operation! } } };
    expect(documentationProblems(only)).toEqual([]);
    const documented = JSON.stringify(operation!.responses);
    for (const code of ['not_found', 'idempotency_key_reused', 'idempotency_key_in_use', 'unauthenticated']) {
      expect(documented).toContain(code);
    }
    expect(JSON.stringify(operation!.responses?.['200'])).toContain('previousKeyExpiresAt');
  });
});
