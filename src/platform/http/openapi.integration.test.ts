import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import {
  type OpenApiDocument,
  documentationProblems,
  operationsOf,
  validateOpenApi,
} from '../../../test/support/openapi.js';
import { ERROR_CODES } from '../errors.js';
import { OPENAPI_PATH } from './openapi.js';

let db: TestDatabase;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  db = await createPostgresTestDatabase(4);
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});
afterAll(async () => {
  await db.dispose();
});

async function documentOf(addRoutes: (app: FastifyInstance) => void = () => {}): Promise<OpenApiDocument> {
  const app = await createTestApp({ database: db.database });
  apps.push(app);
  addRoutes(app);
  const response = await app.inject({ url: OPENAPI_PATH });
  expect(response.statusCode).toBe(200);
  return response.json<OpenApiDocument>();
}

type Op = OpenApiDocument['paths'][string][string];
const codesAt = (op: Op | undefined, status: string): unknown[] =>
  op?.responses?.[status]?.content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum ??
  [];

describe('the OpenAPI document of the real app', () => {
  it('is a valid OpenAPI document in which every operation documents its success and error responses', async () => {
    const doc = await documentOf();

    const validation = await validateOpenApi(doc);
    expect(validation.valid, JSON.stringify(validation.errors, null, 2)).toBe(true);
    expect(documentationProblems(doc)).toEqual([]);
    // A document with no operations would pass the checks above: it has them all.
    expect(operationsOf(doc).length).toBeGreaterThan(30);
  });

  it('lists every error code in the shared Error schema, and per operation the codes it can return', async () => {
    const doc = await documentOf();
    const errorSchema = doc.components?.schemas?.Error as {
      properties: { error: { properties: { code: { enum: string[] } } } };
    };
    expect(errorSchema.properties.error.properties.code.enum).toEqual(ERROR_CODES);

    const op = (path: string, method: string) => doc.paths[path]?.[method];
    // From the route's declarations: body schema, guards, idempotency, its own `config.errors`.
    const purchase = op('/api/v1/verifications', 'post');
    expect(codesAt(purchase, '400')).toEqual(['bad_request', 'validation_failed']);
    expect(codesAt(purchase, '402')).toEqual(['insufficient_funds']);
    expect(codesAt(purchase, '403')).toEqual(
      expect.arrayContaining(['forbidden', 'csrf_failed', 'email_unconfirmed', 'tier_required']),
    );
    expect(codesAt(purchase, '409')).toEqual(
      expect.arrayContaining(['idempotency_key_in_use', 'price_changed', 'out_of_stock']),
    );
    expect(codesAt(purchase, '422')).toEqual(['idempotency_key_reused', 'provider_rejected']);
    expect(codesAt(purchase, '503')).toEqual(['provider_unavailable', 'service_unavailable']);
    // A wrong password has one code, at sign-in and on a password change alike.
    expect(codesAt(op('/api/v1/auth/login', 'post'), '401')).toContain('invalid_credentials');
    expect(codesAt(op('/api/v1/auth/password/change', 'post'), '401')).toContain('invalid_credentials');
    // A bodiless read: no body refusals, no CSRF, no idempotency.
    const wallet = op('/api/v1/wallet', 'get');
    expect(Object.keys(wallet?.responses ?? {}).sort()).toEqual(
      ['200', '400', '401', '403', '429', '500', '503'].sort(),
    );
    expect(codesAt(wallet, '403')).toEqual(['forbidden', 'request_blocked']);
    expect(codesAt(op('/api/v1/wallet/topups/{reference}', 'get'), '404')).toEqual(['not_found']);
  });
});

describe('credentials and headers in the document', () => {
  type Operation = {
    security?: Record<string, string[]>[];
    parameters?: { in: string; name: string; schema?: { maxLength?: number } }[];
    responses?: Record<string, { headers?: Record<string, unknown> }>;
  };
  const operation = (doc: OpenApiDocument, path: string, method: string) =>
    doc.paths[path]?.[method] as Operation | undefined;

  it('names the credential of every guarded operation, and none on public ones', async () => {
    const doc = await documentOf();
    const schemes = (doc as { components?: { securitySchemes?: Record<string, unknown> } }).components
      ?.securitySchemes;
    expect(Object.keys(schemes ?? {}).sort()).toEqual(['bearer', 'session']);
    for (const [path, method] of [
      ['/api/v1/me', 'get'],
      ['/api/v1/verifications', 'post'],
      ['/api/v1/wallet', 'get'],
    ] as const) {
      expect(operation(doc, path, method)?.security, `${method} ${path}`).toEqual([
        { bearer: [] },
        { session: [] },
      ]);
    }
    expect(operation(doc, '/api/v1/auth/login', 'post')?.security).toBeUndefined();
    expect(operation(doc, '/api/v1/catalog/services', 'get')?.security).toBeUndefined();
  });

  it('declares Idempotency-Key where it applies, and the headers answers carry', async () => {
    const doc = await documentOf();
    const purchase = operation(doc, '/api/v1/verifications', 'post')!;
    const key = purchase.parameters?.find((p) => p.in === 'header' && p.name === 'idempotency-key');
    expect(key?.schema?.maxLength).toBe(255);
    expect(Object.keys(purchase.responses?.['201']?.headers ?? {}).sort()).toEqual([
      'Idempotent-Replayed',
      'Location',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
    ]);
    expect(Object.keys(purchase.responses?.['202']?.headers ?? {})).toContain('Location');
    expect(Object.keys(purchase.responses?.['429']?.headers ?? {})).toContain('Retry-After');
    expect(Object.keys(purchase.responses?.['503']?.headers ?? {})).toEqual(['Retry-After']);
    const read = operation(doc, '/api/v1/wallet', 'get')!;
    expect(read.parameters?.some((p) => p.name === 'idempotency-key') ?? false).toBe(false);
    expect(read.responses?.['200']?.headers).toBeUndefined();
  });

  it('lists null in every nullable enum, as OpenAPI 3.0 needs for null to be valid', async () => {
    const doc = await documentOf();
    const offenders: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const schema = node as { nullable?: boolean; enum?: unknown[] };
      if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null))
        offenders.push(path);
      for (const [key, value] of Object.entries(node)) walk(value, `${path}/${key}`);
    };
    walk(doc, '');
    expect(offenders).toEqual([]);
    const view = doc.paths['/api/v1/verifications/{id}']!.get!.responses!['200']!.content![
      'application/json'
    ]!.schema as { properties: Record<string, { enum?: unknown[] }> };
    expect(view.properties.renewal?.enum).toEqual(['reuse', 'reactivate', null]);
  });
});

describe('the documentation check', () => {
  it('reports a route added without a response schema, and passes one with it', async () => {
    const doc = await documentOf((app) => {
      app.get('/api/v1/throwaway', async () => ({ ok: true }));
      app
        .withTypeProvider<ZodTypeProvider>()
        .get(
          '/api/v1/documented',
          { schema: { response: { 200: z.object({ ok: z.boolean() }) } } },
          async () => ({ ok: true }),
        );
    });
    expect(documentationProblems(doc)).toEqual(['GET /api/v1/throwaway: no success response']);
  });

  it('reports missing error responses, codes outside the union and codes under the wrong status', async () => {
    const doc = await documentOf();
    const wallet = doc.paths['/api/v1/wallet']!.get!.responses!;
    const me = doc.paths['/api/v1/me']!.get!.responses!;
    for (const status of Object.keys(wallet)) if (status !== '200') delete wallet[status];
    const unauthorized = me['401']!.content!['application/json']!.schema!;
    unauthorized.properties!.error!.properties!.code!.enum = ['unauthenticated', 'made_up'];
    me['404'] = me['401']!;

    expect(documentationProblems(doc)).toEqual([
      'GET /api/v1/me: 401 lists made_up, which is no ErrorCode',
      'GET /api/v1/me: 404 lists unauthenticated, whose status is 401',
      'GET /api/v1/me: 404 lists made_up, which is no ErrorCode',
      'GET /api/v1/wallet: no error response',
    ]);
  });

  it('rejects, through the validator library, a document the OpenAPI specification does not allow', async () => {
    const doc = await documentOf();
    delete (doc.paths['/api/v1/wallet']!.get!.responses!['200'] as { description?: string }).description;
    expect((await validateOpenApi(doc)).valid).toBe(false);
  });
});
