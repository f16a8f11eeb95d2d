/**
 * Which error codes a route can answer with, derived from what the route declares (its schemas,
 * guards and `config`) plus the layers every request passes through (`app.ts`). The OpenAPI
 * document lists them per operation, so a route only declares what its own handler adds:
 * `config: { errors: ['not_found', 'insufficient_funds'] }`.
 */
import type { RouteOptions } from 'fastify';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { needsCredential } from './route-headers.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Codes the handler (or the service it calls) throws, beyond those of the layers below; they
     * appear in the OpenAPI document under their status (`ERROR_STATUS`).
     */
    errors?: readonly ErrorCode[];
  }
}

type RouteShape = Pick<RouteOptions, 'method' | 'schema' | 'config' | 'preValidation'>;

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const methodsOf = (route: RouteShape) =>
  (Array.isArray(route.method) ? route.method : [route.method]).map((m) => String(m).toUpperCase());
const hasBody = (route: RouteShape) => methodsOf(route).some((m) => BODY_METHODS.has(m));
const hasInput = (route: RouteShape) => {
  const schema = route.schema;
  return Boolean(schema && (schema.body || schema.querystring || schema.params || schema.headers));
};

/** The layers in the order a request meets them, each with the codes it may refuse with. */
const LAYERS: ReadonlyArray<(route: RouteShape) => readonly ErrorCode[]> = [
  // A malformed URL is refused before routing (`frameworkErrors`).
  () => ['bad_request'],
  // WAF (blocklist, bans, inspection) and the global per-address limit see every request.
  () => ['request_blocked', 'rate_limited'],
  // Authentication: a bad `Authorization` header, a suspended user or a key used from elsewhere
  // is refused on any route; a cookie session must echo its CSRF token on state changes.
  (route) =>
    route.config?.ownCredential
      ? []
      : ['unauthenticated', 'forbidden', ...(hasBody(route) ? (['csrf_failed'] as const) : [])],
  // Route guards run as `preValidation` hooks (before validation, rate limits and idempotency).
  (route) => (needsCredential(route) ? ['unauthenticated', 'forbidden'] : []),
  (route) => (hasBody(route) ? ['bad_request', 'payload_too_large', 'unsupported_media_type'] : []),
  (route) => (hasInput(route) ? ['validation_failed'] : []),
  (route) => (route.config?.rateLimits?.length ? ['rate_limited'] : []),
  (route) =>
    route.config?.idempotent ? ['validation_failed', 'idempotency_key_in_use', 'idempotency_key_reused'] : [],
  (route) => route.config?.errors ?? [],
  // Anything unexpected, and the database being unreachable (every credential is checked there).
  () => ['internal_error', 'service_unavailable'],
];

/** The error codes `route` can answer with, grouped by HTTP status (ascending), each list sorted. */
export function routeErrors(route: RouteShape): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const layer of LAYERS) {
    for (const code of layer(route)) {
      const status = ERROR_STATUS[code];
      const codes = byStatus.get(status) ?? new Set<ErrorCode>();
      codes.add(code);
      byStatus.set(status, codes);
    }
  }
  return new Map(
    [...byStatus.entries()].sort(([a], [b]) => a - b).map(([status, codes]) => [status, [...codes].sort()]),
  );
}
