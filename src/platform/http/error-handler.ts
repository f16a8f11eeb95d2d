import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isDatabaseUnavailable } from '../db/availability.js';
import { AppError, type ErrorBody, type ErrorCode } from '../errors.js';

/** The one error shape, for routes' `response` schemas (e.g. `{ '4xx': errorBody }`). */
export { errorBody } from '../errors.js';

/** What a 503 tells a client to wait before retrying (a provider's breaker probes again within 30 s). */
const RETRY_AFTER_SECONDS = 5;
/** One place turns every failure into `{"error":{"code","message"}}`; nothing else leaks. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    const { status, body, headers } = describeError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.error.code }, 'request refused');
    if (headers) void reply.headers(headers);
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}.` },
    } satisfies ErrorBody),
  );
}

export function describeError(error: unknown): {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
} {
  if (error instanceof AppError) {
    // Every 503 says when to come back, as the API promises; a refusal that knows better says so.
    const headers =
      error.status === 503 ? { 'retry-after': String(RETRY_AFTER_SECONDS), ...error.headers } : error.headers;
    return {
      status: error.status,
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(error.details ? { details: error.details } : {}),
        },
      },
      ...(headers ? { headers } : {}),
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((v) => ({
      field: [error.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'is invalid',
    }));
    const first = issues[0];
    return {
      status: 400,
      body: {
        error: {
          code: 'validation_failed',
          message: first ? `${first.field} ${first.message}` : 'The request is invalid.',
          details: { issues },
        },
      },
    };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: 503,
      body: {
        error: {
          code: 'service_unavailable',
          message: 'The service is temporarily unavailable; please retry shortly.',
        },
      },
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, body too large, wrong content type): safe messages.
    return {
      status,
      body: { error: { code: clientErrorCode(status), message: clientErrorMessage(fastifyError) } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'internal_error', message: 'Something went wrong on our side.' } },
  };
}

/** The code of a client error raised by Fastify or a plugin (a static file's 403 included). */
function clientErrorCode(status: number): ErrorCode {
  switch (status) {
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return 'bad_request';
  }
}

/**
 * Fastify's message, except where it misleads: its JSON parser refuses `__proto__` and
 * `constructor.prototype` keys with the same error as broken JSON, and says "not valid JSON".
 */
function clientErrorMessage(error: Partial<FastifyError>): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return 'The body is not valid JSON, or holds a forbidden key ("__proto__", "constructor.prototype").';
  }
  return error.message ?? 'Bad request.';
}
