/**
 * The OpenAPI document (SPEC §7), generated from the same zod schemas that validate requests:
 * `GET /api/openapi.json`, and Swagger UI at `/api/docs`. Register before any route, since
 * @fastify/swagger collects routes as they are added (`onRoute`); routes that should stay out of
 * the document set `schema: { hide: true }`.
 *
 * Every operation also lists its error responses: per status, the codes the route can answer with
 * (`routeErrors`, from what the route declares), each referencing the shared `Error` schema.
 *
 * Swagger UI 6 ships its scripts as files (no inline script), so the app's strict CSP holds here too.
 */
import { STATUS_CODES } from 'node:http';
import fastifySwagger, { type SwaggerTransform } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ErrorCode, errorBody } from '../errors.js';
import { routeErrors } from './route-errors.js';
import { CREDENTIALS, needsCredential, requestHeadersOf, responseHeadersOf } from './route-headers.js';

export const OPENAPI_PATH = '/api/openapi.json';
const DOCS_PREFIX = '/api/docs';
export const ERROR_SCHEMA_REF = '#/components/schemas/Error';

const HIDDEN = new Set(['/healthz', '/readyz', '/metrics']);
const transformZod = createJsonSchemaTransform({});

const toOpenApiSchema = (schema: z.ZodType) => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'openapi-3.0' });
  return rest;
};

/** The shared error body with every code: the `Error` component the error responses reference. */
const errorSchema = toOpenApiSchema(errorBody);

/**
 * One status's error response: the shared `Error` schema (`allOf`), spelled out with the codes of
 * that status only, so readers that do not resolve references see the shape too.
 */
function errorResponse(status: number | string, codes: readonly ErrorCode[], headers: object) {
  const body = errorBody.extend({
    error: errorBody.shape.error.extend({ code: z.enum(codes as [ErrorCode, ...ErrorCode[]]) }),
  });
  return {
    description: `${STATUS_CODES[status] ?? 'Error'}: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: {
      'application/json': { schema: { allOf: [{ $ref: ERROR_SCHEMA_REF }], ...toOpenApiSchema(body) } },
    },
  };
}

/**
 * The route's own responses without the error ones it may declare for serialization (`'4xx'`,
 * `503`), then one error response per status it can answer with. A declared range (`'4xx'`) stays
 * documented, listing every code of that range.
 */
const withErrorResponses: SwaggerTransform = (document) => {
  const transformed = transformZod(document);
  const schema = transformed.schema ?? {};
  if (schema.hide) return transformed;
  const declared = (schema.response ?? {}) as Record<string, unknown>;
  const response: Record<string, unknown> = {};
  const ranges = new Set<string>();
  for (const [status, entry] of Object.entries(declared)) {
    if (/^[45]xx$/i.test(status)) ranges.add(status.slice(0, 1));
    else if (!/^[45]/.test(status)) response[status] = entry;
  }
  const route = document.route;
  for (const [status, entry] of Object.entries(response)) {
    const headers = responseHeadersOf(route, status);
    if (Object.keys(headers).length > 0) response[status] = { ...(entry as object), headers };
  }
  const errors = routeErrors(route);
  for (const [status, codes] of errors) {
    response[String(status)] = errorResponse(status, codes, responseHeadersOf(route, String(status)));
  }
  for (const range of ranges) {
    const codes = [...errors].filter(([s]) => String(s).startsWith(range)).flatMap(([, c]) => c);
    if (codes.length > 0) response[`${range}XX`] = errorResponse(`${range}XX`, codes, {});
  }
  return {
    url: transformed.url,
    schema: {
      ...schema,
      ...withRequestHeaders(schema.headers, requestHeadersOf(route)),
      ...(needsCredential(route) ? { security: CREDENTIALS } : {}),
      response,
    },
  };
};

/** The route's own `headers` schema, if any, with the headers every route of its kind takes. */
function withRequestHeaders(own: unknown, added: Record<string, unknown>) {
  if (Object.keys(added).length === 0) return {};
  const base = (own ?? { type: 'object', properties: {} }) as { properties?: Record<string, unknown> };
  return { headers: { ...base, properties: { ...base.properties, ...added } } };
}

/**
 * OpenAPI 3.0 lets `null` through an `enum` only when the enum lists it, whatever `nullable` says
 * (3.0.3's clarification), so a nullable enum lists `null` too: strict validators accept answers.
 */
function nullableEnumsListNull(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(nullableEnumsListNull);
  if (node === null || typeof node !== 'object') return;
  const schema = node as { nullable?: unknown; enum?: unknown[] };
  if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) {
    schema.enum = [...schema.enum, null];
  }
  Object.values(node).forEach(nullableEnumsListNull);
}

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
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'nmk_access',
            description:
              'The web session (set by sign-in). Requests that change state also send the ' +
              "`nmk_csrf` cookie's value in `X-CSRF-Token`.",
          },
        },
        schemas: { Error: errorSchema as Record<string, unknown> },
      },
    },
    transform: (document) =>
      // Operational routes carry no schema, which the zod transform's skip list does not cover.
      HIDDEN.has(document.url) ? { schema: { hide: true }, url: document.url } : withErrorResponses(document),
    transformObject: (input) => {
      const document = jsonSchemaTransformObject(input);
      nullableEnumsListNull(document);
      return document;
    },
  });

  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { deepLinking: true },
  });

  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
