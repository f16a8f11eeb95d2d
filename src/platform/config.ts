import { z } from 'zod';

/**
 * The one place that reads the environment. Everything else receives a `Config`.
 * A bad value stops the process at start with a one-line reason instead of failing later.
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

/** A number that may be left out or left empty (`NAME=` as in .env.example): both mean unset. */
const optionalNumber = (schema: z.ZodCoercedNumber) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

// Aborting, so a malformed URL is the one reason given (not also the checks that depend on it).
const postgresUrl = optionalText.refine((v) => v === undefined || /^postgres(ql)?:\/\/[^\s]+$/.test(v), {
  message: 'must be a postgres:// or postgresql:// URL',
  abort: true,
});
const redisUrl = optionalText.refine(
  (v) => v === undefined || /^rediss?:\/\/[^\s]+$/.test(v),
  'must be a redis:// or rediss:// URL',
);

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    PUBLIC_URL: optionalText.refine(
      (v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v),
      'must be an http(s) URL',
    ),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: postgresUrl,
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
    /**
     * Connections opened at start and kept open when idle (default: the pool size, a fixed pool).
     * A burst of buyers then finds them ready instead of waiting for connections to be made.
     */
    DATABASE_POOL_MIN: optionalNumber(z.coerce.number().int().min(0).max(200)),
    /**
     * Hot statements are prepared under a name, once per connection. `false` behind a pooler that
     * cannot track named statements (PgBouncer in transaction mode before 1.21, or with
     * `max_prepared_statements = 0`): they are then sent unnamed, parsed each time.
     */
    DATABASE_NAMED_STATEMENTS: z
      .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
      .optional()
      .transform((v) => v === undefined || v === '' || v === 'true' || v === '1' || v === 'yes'),
    REDIS_URL: redisUrl,
    APP_SECRET: optionalText,
    /** Secrets still accepted during an APP_SECRET rotation, comma-separated (docs/deploy.md). */
    APP_SECRET_FALLBACKS: optionalText.refine(
      (v) => v === undefined || v.split(',').every((secret) => secret.trim().length >= 32),
      'must be a comma-separated list of secrets of 32+ characters',
    ),
    TRUST_PROXY: optionalText,
    ROLE: z.enum(['web', 'worker', 'all']).default('all'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SANDBOXES: booleanFlag,
    TEXTVERIFIED_BASE_URL: optionalText,
    TEXTVERIFIED_API_KEY: optionalText,
    TEXTVERIFIED_USERNAME: optionalText,
    TEXTVERIFIED_WEBHOOK_SECRET: optionalText,
    FIVESIM_BASE_URL: optionalText,
    FIVESIM_API_KEY: optionalText,
    /** Cents of USD per unit of the 5sim account's currency (100 for a dollar account). */
    FIVESIM_CENTS_PER_UNIT: z.coerce.number().positive().max(100_000).default(100),
    /** How long after its code a 5sim number is offered for reuse (5sim does not publish it). */
    FIVESIM_REUSE_WINDOW_SECONDS: z.coerce.number().int().min(0).max(86_400).default(900),
    SANDBOX_SMS_DELAY_MS: z.coerce.number().int().min(0).default(8000),
    PAYSTACK_BASE_URL: optionalText,
    PAYSTACK_SECRET_KEY: optionalText,
    PAYSTACK_PUBLIC_KEY: optionalText,
    NGN_PER_USD: z.coerce.number().int().positive().default(1600),
    SMTP_URL: optionalText,
    MAIL_FROM: z.string().default('Namaskah <no-reply@namaskah.local>'),
    WAF_MODE: z.enum(['block', 'monitor']).default('block'),
    WAF_BLOCKLIST_FILE: optionalText,
    /** Requests per minute per client address across the whole API; 0 turns the global limit off. */
    RATE_LIMIT_GLOBAL_PER_MINUTE: z.coerce.number().int().min(0).default(100),
    RATE_LIMIT_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/, 'must be 1-64 letters, digits, ":", "_" or "-"')
      .default('namaskah:rl'),
    ALLOW_PRIVATE_WEBHOOK_TARGETS: booleanFlag,
    IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(1).default(24),
    /** How long an API key's replaced secret keeps working after a rotation (0: it stops at once). */
    API_KEY_ROTATION_OVERLAP_HOURS: z.coerce.number().int().min(0).max(168).default(24),
    CATALOG_MARKUP_BPS: z.coerce.number().int().min(10000).max(100000).default(15000),
    CATALOG_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).default(300),
    /** Orders (24 h or 7 days) a service needs before its delivery figures are shown. */
    DELIVERY_STATS_MIN_ORDERS: z.coerce.number().int().min(1).default(20),
    /** How long the delivery figures are reused before the orders are aggregated again. */
    DELIVERY_STATS_CACHE_SECONDS: z.coerce.number().int().min(0).default(60),
    /** Bearer token that `/metrics` asks for; without it (and without METRICS_PORT) production will not start. */
    METRICS_TOKEN: optionalText.refine((v) => v === undefined || v.length >= 16, 'must be 16+ characters'),
    /** Serve `/metrics` on its own listener (METRICS_HOST:METRICS_PORT) instead of the public port. */
    METRICS_PORT: optionalNumber(z.coerce.number().int().min(0).max(65535)),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  })
  .superRefine((env, ctx) => {
    // The development secret is in the source: anything it signs (access tokens, captcha
    // challenges, the TOTP sealing key) can be forged, so a real database never runs on it.
    if (env.DATABASE_URL && (!env.APP_SECRET || env.APP_SECRET.length < 32)) {
      ctx.addIssue({
        code: 'custom',
        path: ['APP_SECRET'],
        message: 'is required whenever DATABASE_URL is set (32+ characters)',
      });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_PORT'],
        message: 'must differ from PORT (the metrics listener is apart from the public one)',
      });
    }
    if (env.NODE_ENV !== 'production') return;
    if (!env.DATABASE_URL && (!env.APP_SECRET || env.APP_SECRET.length < 32)) {
      ctx.addIssue({
        code: 'custom',
        path: ['APP_SECRET'],
        message: 'is required in production (32+ characters)',
      });
    }
    if (env.SANDBOXES) {
      ctx.addIssue({
        code: 'custom',
        path: ['SANDBOXES'],
        message: 'is refused in production (the sandbox mail inbox would publish every reset link)',
      });
    }
    if (!env.SMTP_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['SMTP_URL'],
        message: 'is required in production (confirmation and reset e-mails)',
      });
    }
    if (!env.METRICS_TOKEN && env.METRICS_PORT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_TOKEN'],
        message: 'or METRICS_PORT is required in production (/metrics needs a token or its own listener)',
      });
    }
    if (!env.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is required in production' });
    }
    if (!env.PUBLIC_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'is required in production' });
    }
    if (env.ALLOW_PRIVATE_WEBHOOK_TARGETS) {
      ctx.addIssue({
        code: 'custom',
        path: ['ALLOW_PRIVATE_WEBHOOK_TARGETS'],
        message: 'is for local use only and refused in production',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  /** `pg` for a PostgreSQL server, `pglite` for the embedded default. */
  database:
    | {
        kind: 'pg';
        url: string;
        poolSize: number;
        /** Connections opened at start and kept when idle (at most `poolSize`; default 0). */
        poolMin?: number;
        /** Prepare hot statements under a name (default); false: unnamed (see DATABASE_NAMED_STATEMENTS). */
        namedStatements?: boolean;
      }
    | { kind: 'pglite'; dataDir: string };
  redisUrl: string | undefined;
  appSecret: string;
  /** Read-only secrets of a rotation: what they signed or sealed is accepted, nothing new uses them. */
  appSecretFallbacks: string[];
  trustProxy: string[];
  role: Env['ROLE'];
  logLevel: Env['LOG_LEVEL'];
  /** Start the local provider sandboxes in-process (embedded default). */
  sandboxes: boolean;
  sandboxSmsDelayMs: number;
  textVerified: { baseUrl?: string; apiKey?: string; username?: string; webhookSecret?: string };
  /** The optional second SMS provider; configured when an API key is set. */
  fiveSim: { baseUrl?: string; apiKey?: string; centsPerUnit: number; reuseWindowMs: number };
  paystack: { baseUrl?: string; secretKey?: string; publicKey?: string };
  ngnPerUsd: number;
  smtpUrl: string | undefined;
  mailFrom: string;
  waf: { mode: Env['WAF_MODE']; blocklistFile: string | undefined };
  /** Rate limits: counters in Redis when configured (shared by instances), in memory otherwise. */
  rateLimit: { globalPerMinute: number; keyPrefix: string };
  allowPrivateWebhookTargets: boolean;
  idempotencyTtlHours: number;
  /** How long a rotated-out API key secret is still accepted. */
  apiKeyRotationOverlapHours: number;
  /** Default markup on provider cost, in basis points (15000 = ×1.5), and how long catalogue data is cached. */
  catalog: { markupBps: number; cacheTtlSeconds: number };
  /** Delivery statistics shown before purchase: minimum sample and cache lifetime. */
  deliveryStats: { minOrders: number; cacheSeconds: number };
  /**
   * `/metrics`: with a token it answers only `Authorization: Bearer <token>`; with a port it is
   * served on its own listener (host:port) and no longer on the public port.
   */
  metrics: { token: string | undefined; port: number | undefined; host: string };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A development-only secret so the embedded default runs with zero setup; production refuses it. */
const DEVELOPMENT_SECRET = 'namaskah-development-secret-not-for-production-use';

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration: ${reasons.join('; ')}`);
  }
  const env = parsed.data;
  const database: Config['database'] = env.DATABASE_URL
    ? {
        kind: 'pg',
        url: env.DATABASE_URL,
        poolSize: env.DATABASE_POOL_SIZE,
        poolMin: Math.min(env.DATABASE_POOL_MIN ?? env.DATABASE_POOL_SIZE, env.DATABASE_POOL_SIZE),
        namedStatements: env.DATABASE_NAMED_STATEMENTS,
      }
    : { kind: 'pglite', dataDir: env.DATA_DIR };
  const sandboxes = source.SANDBOXES === undefined ? database.kind === 'pglite' : env.SANDBOXES;
  return {
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    port: env.PORT,
    host: env.HOST,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    dataDir: env.DATA_DIR,
    database,
    redisUrl: env.REDIS_URL,
    appSecret: env.APP_SECRET ?? DEVELOPMENT_SECRET,
    appSecretFallbacks: env.APP_SECRET_FALLBACKS
      ? env.APP_SECRET_FALLBACKS.split(',').map((secret) => secret.trim())
      : [],
    trustProxy: env.TRUST_PROXY
      ? env.TRUST_PROXY.split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
    role: env.ROLE,
    logLevel: env.LOG_LEVEL,
    sandboxes,
    sandboxSmsDelayMs: env.SANDBOX_SMS_DELAY_MS,
    textVerified: {
      baseUrl: env.TEXTVERIFIED_BASE_URL,
      apiKey: env.TEXTVERIFIED_API_KEY,
      username: env.TEXTVERIFIED_USERNAME,
      webhookSecret: env.TEXTVERIFIED_WEBHOOK_SECRET,
    },
    fiveSim: {
      baseUrl: env.FIVESIM_BASE_URL,
      apiKey: env.FIVESIM_API_KEY,
      centsPerUnit: env.FIVESIM_CENTS_PER_UNIT,
      reuseWindowMs: env.FIVESIM_REUSE_WINDOW_SECONDS * 1000,
    },
    paystack: {
      baseUrl: env.PAYSTACK_BASE_URL,
      secretKey: env.PAYSTACK_SECRET_KEY,
      publicKey: env.PAYSTACK_PUBLIC_KEY,
    },
    ngnPerUsd: env.NGN_PER_USD,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
    waf: { mode: env.WAF_MODE, blocklistFile: env.WAF_BLOCKLIST_FILE },
    rateLimit: { globalPerMinute: env.RATE_LIMIT_GLOBAL_PER_MINUTE, keyPrefix: env.RATE_LIMIT_KEY_PREFIX },
    allowPrivateWebhookTargets: env.ALLOW_PRIVATE_WEBHOOK_TARGETS,
    idempotencyTtlHours: env.IDEMPOTENCY_TTL_HOURS,
    apiKeyRotationOverlapHours: env.API_KEY_ROTATION_OVERLAP_HOURS,
    catalog: { markupBps: env.CATALOG_MARKUP_BPS, cacheTtlSeconds: env.CATALOG_CACHE_TTL_SECONDS },
    deliveryStats: {
      minOrders: env.DELIVERY_STATS_MIN_ORDERS,
      cacheSeconds: env.DELIVERY_STATS_CACHE_SECONDS,
    },
    metrics: { token: env.METRICS_TOKEN, port: env.METRICS_PORT, host: env.METRICS_HOST },
  };
}
