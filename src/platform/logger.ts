import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/** Anything that could carry a credential is cut out of every log line. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers["x-paystack-signature"]',
  'req.headers["x-webhook-signature"]',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.apiKey',
  '*.secret',
  '*.secretKey',
  '*.otp',
  '*.captcha',
  '*.authorization',
  '*.cookie',
  '*.card',
];

/**
 * A failed statement's values (a key's hash, a sealed secret, an address) stay out of the log: the
 * query text and PostgreSQL's code and message say what failed. drizzle puts the values in the
 * error (`params`) and in its message (after `params:`); PostgreSQL's `detail` may quote a row.
 */
const VALUE_FIELDS = new Set(['params', 'parameters', 'detail']);
function scrubbed(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => scrubbed(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (VALUE_FIELDS.has(key)) continue;
    out[key] =
      (key === 'message' || key === 'stack') && typeof item === 'string'
        ? item.replace(/\nparams: [^\n]*/g, '\nparams: [redacted]')
        : scrubbed(item, depth + 1);
  }
  return out;
}
function withoutQueryValues(error: Error): unknown {
  const out = scrubbed(pino.stdSerializers.err(error), 0) as Record<string, unknown>;
  // The driver's error under drizzle's: its SQLSTATE says what kind of failure it was.
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    out.cause = scrubbed({ type: cause.name, message: cause.message, ...fieldsOf(cause) }, 0);
  }
  return out;
}
const fieldsOf = (error: Error) => {
  const { code, constraint, table, column, routine } = error as Error & Record<string, unknown>;
  return { code, constraint, table, column, routine };
};

function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // The URL is logged without its query string: tokens and references have no place in logs.
      err: withoutQueryValues,
      req: (req: { method: string; url: string; id?: string; ip?: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
        ip: req.ip,
      }),
    },
  };
}

/** The process logger: structured JSON with request ids, secrets redacted. */
export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  return stream ? pino(loggerOptions(level), stream) : pino(loggerOptions(level));
}
