/**
 * The OpenAPI document (SPEC §7), generated from the same zod schemas that validate requests:
 * `GET /api/openapi.json`, and Swagger UI at `/api/docs`. Register before any route, since
 * @fastify/swagger collects routes as they are added (`onRoute`); routes that should stay out of
 * the document set `schema: { hide: true }`.
 *
 * Swagger UI 6 ships its scripts as files (no inline script), so the app's strict CSP holds here too.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PREFIX = '/api/docs';

const HIDDEN = new Set(['/healthz', '/readyz', '/metrics']);
const transformZod = createJsonSchemaTransform({});

export async function registerOpenApi(
  app: FastifyInstance,
  options: { publicUrl: string; version?: string },
): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Namaskah API',
        description: 'SMS verification numbers. Errors are `{"error":{"code","message"}}`.',
        version: options.version ?? '1',
      },
      servers: [{ url: options.publicUrl }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An access token or an API key (`nmk_live_…`).',
          },
        },
      },
    },
    transform: (document) =>
      // Operational routes carry no schema, which the zod transform's skip list does not cover.
      HIDDEN.has(document.url) ? { schema: { hide: true }, url: document.url } : transformZod(document),
    transformObject: jsonSchemaTransformObject,
  });

  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { deepLinking: true },
  });

  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
