/**
 * The headers an operation takes and answers with, derived from what the route declares (its
 * guards and `config`), for the OpenAPI document: a client generated from it sends the
 * credential and `Idempotency-Key`, and its reader sees `Location`, `Idempotent-Replayed`, the
 * `RateLimit-*` headers and `Retry-After` without reading prose.
 */
import type { RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Its successful answers carry `Location`: the URL of the resource they describe. */
    answersWithLocation?: boolean;
  }
}

type RouteShape = Pick<RouteOptions, 'config' | 'preValidation'>;

interface HeaderSchema {
  type: 'string' | 'integer';
  description: string;
  minLength?: number;
  maxLength?: number;
}

/** Route guards run as `preValidation` hooks: a route with guards needs a credential. */
export const needsCredential = (route: RouteShape): boolean =>
  Array.isArray(route.preValidation) ? route.preValidation.length > 0 : Boolean(route.preValidation);

/** Either credential: `Authorization: Bearer` (access token or API key) or the session cookie. */
export const CREDENTIALS: readonly Record<string, readonly string[]>[] = [{ bearer: [] }, { session: [] }];

const IDEMPOTENCY_KEY: HeaderSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  description:
    'Optional. The same key with the same request answers the stored result (with ' +
    '`Idempotent-Replayed: true`) for 24 h; with another request, 422 `idempotency_key_reused`.',
};

const RATE_LIMIT: Record<string, HeaderSchema> = {
  'RateLimit-Limit': { type: 'integer', description: 'Requests allowed in the current window.' },
  'RateLimit-Remaining': { type: 'integer', description: 'Requests left in the current window.' },
  'RateLimit-Reset': { type: 'integer', description: 'Seconds until the window resets.' },
};

const RETRY_AFTER: Record<string, HeaderSchema> = {
  'Retry-After': { type: 'integer', description: 'Seconds to wait before trying again.' },
};

/** Request headers beyond the credential, as properties of a `headers` schema. */
export function requestHeadersOf(route: RouteShape): Record<string, HeaderSchema> {
  return route.config?.idempotent ? { 'idempotency-key': IDEMPOTENCY_KEY } : {};
}

/** The headers of one response status (`201`, `429`, `4XX`…). */
export function responseHeadersOf(route: RouteShape, status: string): Record<string, HeaderSchema> {
  const config = route.config;
  if (/^2/.test(status)) {
    return {
      ...(config?.answersWithLocation
        ? { Location: { type: 'string', description: 'The URL of this resource.' } as HeaderSchema }
        : {}),
      ...(config?.idempotent
        ? {
            'Idempotent-Replayed': {
              type: 'string',
              description: '`true` when this is the stored answer to an earlier request with the same key.',
            } as HeaderSchema,
          }
        : {}),
      ...(config?.rateLimits?.length ? RATE_LIMIT : {}),
    };
  }
  if (status === '429') return { ...RATE_LIMIT, ...RETRY_AFTER };
  if (status === '503') return RETRY_AFTER;
  return {};
}
