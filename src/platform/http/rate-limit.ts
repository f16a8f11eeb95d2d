/**
 * Rate limits (SPEC §5) on rate-limiter-flexible: counters in Redis when configured, so every
 * instance shares them, in memory otherwise (embedded). If Redis fails or is slow at runtime the
 * counting degrades to memory (the library's `insuranceLimiter`) instead of failing requests.
 *
 *  - Global: `globalPerMinute` requests per minute per client address, checked `onRequest`
 *    (health, readiness and metrics exempt). `registerRateLimits(app, deps)`.
 *  - Per route: routes declare `config: { rateLimits: [{ name, points, durationSeconds, key }] }`,
 *    checked in a `preHandler` (after authentication and body parsing), so a key or a tier-based
 *    `points` may read `request.principal` and `request.body`. `registerRouteRateLimits(app)`.
 *  - Anything else (jobs, the login lockout): `app.rateLimiter.consume(name, key, points, seconds)`
 *    or a limiter of its own from `createRateLimiter`.
 *
 * Responses carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) of the
 * most restrictive limit that applied; a refusal is 429 `rate_limited` with `Retry-After`.
 *
 * One counter per limit name and key (fixed window): the limit (`points`) is compared here rather
 * than baked into the store, so a tier change mid-window keeps the count instead of resetting it.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterRes,
  RLWrapperTimeouts,
} from 'rate-limiter-flexible';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Whose requests one counter counts: the client address, the signed-in user, or a key of the route's own. */
export type RateLimitKey = 'ip' | 'user' | ((request: FastifyRequest) => string | undefined);

export interface RouteRateLimit {
  /** Names the counter (`login-ip`, `verification-purchase`); routes sharing a name share counters. */
  name: string;
  /** Requests allowed per window; a function (may be async) for tier-based limits (`Infinity` = no limit). */
  points: number | ((request: FastifyRequest) => number | Promise<number>);
  durationSeconds: number;
  /**
   * `ip`: the client address. `user`: the principal (the client address when nobody is signed in).
   * A function: e.g. the account e-mail of a login; `undefined` skips this limit for the request.
   */
  key: RateLimitKey;
  /** Counts only the requests this says yes to (e.g. one action of a multi-action route). */
  applies?: (request: FastifyRequest) => boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Per-route rate limits, checked after authentication; see `src/platform/http/rate-limit.ts`. */
    rateLimits?: readonly RouteRateLimit[];
    /** The web app's HTML shell for a page route: outside the global per-address limit. */
    pageShell?: boolean;
  }
  interface FastifyInstance {
    /** The application's rate limiter, for limits outside route config (login lockout, jobs). */
    rateLimiter: RateLimiter;
  }
}

export interface RateLimitDecision {
  name: string;
  allowed: boolean;
  /** The limit of the window (`RateLimit-Limit`). */
  limit: number;
  /** Requests left in the window (`RateLimit-Remaining`). */
  remaining: number;
  /** Seconds until the window resets (`RateLimit-Reset`, and `Retry-After` when refused). */
  resetSeconds: number;
}

export interface RateLimiter {
  /** Counts `cost` (default 1) against `key` under the limit `name` and says whether it is allowed. */
  consume(
    name: string,
    key: string,
    points: number,
    durationSeconds: number,
    cost?: number,
  ): Promise<RateLimitDecision>;
  /** Gives back `cost` (default 1) counted earlier: the request turned out not to be an attempt. */
  refund(name: string, key: string, durationSeconds: number, cost?: number): Promise<void>;
  /** Clears the counter (e.g. failed-login attempts after a successful login). */
  reset(name: string, key: string, durationSeconds: number): Promise<void>;
  readonly store: 'redis' | 'memory';
}

export interface RateLimiterOptions {
  /** Shared counters; without it every process counts on its own. */
  redis?: Redis | undefined;
  /** Prefix of every Redis key (and memory key). */
  keyPrefix: string;
  /** A Redis call slower than this counts in memory instead; default 300 ms. */
  redisTimeoutMs?: number;
  logger?: Pick<Logger, 'warn'>;
}

/** Never reached: the store only counts; the limit is compared in `consume`. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

interface CounterStore {
  consume(key: string, cost: number): Promise<RateLimiterRes>;
  reward(key: string, points: number): Promise<RateLimiterRes>;
  delete(key: string): Promise<boolean>;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, keyPrefix } = options;
  const timeoutMs = options.redisTimeoutMs ?? 300;
  const counters = new Map<string, { primary: CounterStore; memory: CounterStore }>();

  // After Redis failed or was slow, count in memory for a few seconds before trying it again, so a
  // silent Redis costs one timeout per few seconds instead of one per request.
  let degradedUntil = 0;
  let lastDegradedLog = 0;
  const degraded = () => {
    const now = Date.now();
    if (now < degradedUntil) return; // Counting in memory already (this call is ours, not a failure).
    degradedUntil = now + 5_000;
    if (now - lastDegradedLog < 60_000) return;
    lastDegradedLog = now;
    options.logger?.warn(
      { rateLimit: { store: 'memory' } },
      'Redis unavailable for rate limits; counting in memory',
    );
  };

  // A client created with `lazyConnect` connects on its first command; the limiter only sends
  // commands to a ready client, so it starts the connection itself.
  if (redis && redis.status === 'wait') void redis.connect().catch(() => undefined);
  // rate-limiter-flexible defines its Lua command on the client whenever a limiter is made. Made on
  // a limit's first use, that can fall in a tick whose auto-pipeline is already open: ioredis then
  // runs that pipeline without the command and throws an uncaught TypeError, ending the process
  // (redis/ioredis#1931). A limiter made now defines it before any request's pipeline exists.
  if (redis) new RateLimiterRedis({ storeClient: redis, points: 1, duration: 1, keyPrefix });

  const counterFor = (name: string, durationSeconds: number) => {
    const id = `${name}:${durationSeconds}`;
    let counter = counters.get(id);
    if (counter) return counter;
    const memoryOptions = { points: UNBOUNDED, duration: durationSeconds, keyPrefix: `${keyPrefix}:${id}` };
    if (!redis) {
      const memory = new RateLimiterMemory(memoryOptions);
      counter = { primary: memory, memory };
    } else {
      const memory = new InsuranceMemoryLimiter(memoryOptions, degraded);
      const inRedis = new RateLimiterRedis({
        storeClient: redis,
        points: UNBOUNDED,
        duration: durationSeconds,
        keyPrefix: `${keyPrefix}:${id}`,
        // While Redis is down or reconnecting, go straight to memory instead of queueing commands.
        rejectIfRedisNotReady: true,
      });
      counter = {
        primary: new RLWrapperTimeouts({ limiter: inRedis, timeoutMs, insuranceLimiter: memory }),
        memory,
      };
    }
    counters.set(id, counter);
    return counter;
  };
  const storeFor = (name: string, durationSeconds: number) => {
    const counter = counterFor(name, durationSeconds);
    return Date.now() < degradedUntil ? counter.memory : counter.primary;
  };

  return {
    store: redis ? 'redis' : 'memory',
    async consume(name, key, points, durationSeconds, cost = 1) {
      if (!Number.isInteger(durationSeconds) || durationSeconds < 1) {
        throw new TypeError(`rate limit ${name}: durationSeconds must be a positive integer`);
      }
      if (!(points >= 0)) throw new TypeError(`rate limit ${name}: points must be a number >= 0`);
      const limit = Math.floor(points);
      const result = await storeFor(name, durationSeconds).consume(key, cost);
      const resetSeconds = Math.max(1, Math.ceil(result.msBeforeNext / 1000));
      return {
        name,
        allowed: result.consumedPoints <= limit,
        limit,
        remaining: Math.max(0, limit - result.consumedPoints),
        resetSeconds,
      };
    },
    async refund(name, key, durationSeconds, cost = 1) {
      await storeFor(name, durationSeconds).reward(key, cost);
    },
    async reset(name, key, durationSeconds) {
      const counter = counterFor(name, durationSeconds);
      await Promise.all([counter.primary.delete(key), counter.memory.delete(key)]);
    },
  };
}

/** The in-memory stand-in while Redis is unavailable; tells the limiter so it can log it (rarely). */
class InsuranceMemoryLimiter extends RateLimiterMemory {
  constructor(
    options: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly onUse: () => void,
  ) {
    super(options);
  }

  override consume(...args: Parameters<RateLimiterMemory['consume']>): Promise<RateLimiterRes> {
    this.onUse();
    return super.consume(...args);
  }
}

// --- HTTP ----------------------------------------------------------------------------------------

const EXEMPT_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
/**
 * Providers' signed webhooks come in bursts from a few addresses (Paystack retries from three IPs):
 * they get their own, wider per-IP budget instead of the one meant for people.
 */
const INBOUND_HOOKS_PREFIX = '/api/v1/hooks/';
const INBOUND_HOOKS_PER_MINUTE = 1_000;
const shown = new WeakMap<FastifyRequest, RateLimitDecision>();
/** What each request counted against its route's limits, so it can be given back. */
const counted = new WeakMap<FastifyRequest, { name: string; key: string; durationSeconds: number }[]>();

export interface RateLimitDeps {
  config: { rateLimit: { globalPerMinute: number; keyPrefix: string } };
  redis: Redis | undefined;
  logger: Pick<Logger, 'warn'>;
  /** The application's limiter when the composition root built it (its services use it too). */
  limiter?: RateLimiter;
}

/**
 * The global limit (place 1 in `app.ts`) and `app.rateLimiter`. Per-route limits are checked by
 * `registerRouteRateLimits(app)`, registered after authentication (place 3).
 */
export function registerRateLimits(app: FastifyInstance, deps: RateLimitDeps): RateLimiter {
  const limiter =
    deps.limiter ??
    createRateLimiter({
      redis: deps.redis,
      keyPrefix: deps.config.rateLimit.keyPrefix,
      logger: deps.logger,
    });
  app.decorate('rateLimiter', limiter);

  const perMinute = deps.config.rateLimit.globalPerMinute;
  if (perMinute > 0) {
    app.addHook('onRequest', async (request, reply) => {
      const path = pathOf(request.url);
      // The web app's hashed, immutable files: one page view fetches several, and they cost nothing.
      if (EXEMPT_PATHS.has(path) || path.startsWith('/assets/')) return;
      // The app shell of a page (one small file from memory): a person reloading or opening pages
      // quickly must not get a bare JSON refusal instead of the page; its API calls still count.
      if (request.routeOptions.config.pageShell) return;
      const decision = path.startsWith(INBOUND_HOOKS_PREFIX)
        ? await limiter.consume(
            'inbound-hooks',
            `ip:${request.ip}`,
            Math.max(perMinute, INBOUND_HOOKS_PER_MINUTE),
            60,
          )
        : await limiter.consume('global', `ip:${request.ip}`, perMinute, 60);
      report(request, reply, [decision]);
    });
  }

  // Declarations are checked when a route is added, so a typo fails at start, not under load.
  app.addHook('onRoute', (route) => {
    for (const limit of route.config?.rateLimits ?? []) {
      const bad =
        !limit.name ||
        !Number.isInteger(limit.durationSeconds) ||
        limit.durationSeconds < 1 ||
        (typeof limit.points === 'number' && !(limit.points >= 0)) ||
        !(limit.key === 'ip' || limit.key === 'user' || typeof limit.key === 'function');
      if (bad)
        throw new Error(
          `Invalid rate limit ${JSON.stringify(limit.name)} on ${String(route.method)} ${route.url}`,
        );
    }
  });
  return limiter;
}

/** Checks the `config.rateLimits` of the matched route; register after authentication. */
export function registerRouteRateLimits(app: FastifyInstance): void {
  app.addHook('preHandler', async (request, reply) => {
    const limits = request.routeOptions.config.rateLimits;
    if (!limits || limits.length === 0) return;
    const decisions = await Promise.all(
      limits.map(async (limit) => {
        if (limit.applies && !limit.applies(request)) return null;
        const key = keyOf(limit.key, request);
        if (key === undefined) return null;
        const points = typeof limit.points === 'function' ? await limit.points(request) : limit.points;
        if (points === Infinity) return null;
        const decision = await app.rateLimiter.consume(limit.name, key, points, limit.durationSeconds);
        const entries = counted.get(request) ?? [];
        entries.push({ name: limit.name, key, durationSeconds: limit.durationSeconds });
        counted.set(request, entries);
        return decision;
      }),
    );
    report(
      request,
      reply,
      decisions.filter((d): d is RateLimitDecision => d !== null),
    );
  });
}

/**
 * Gives back what `request` counted against its route's limits: for answers that are no attempt
 * at all, such as 409 `idempotency_key_in_use` while a crashed request's key is taken over, so
 * retrying with the same key does not use up the limit (the global per-address limit still counts).
 */
export async function uncountRouteRateLimits(request: FastifyRequest): Promise<void> {
  const entries = counted.get(request);
  if (!entries) return;
  counted.delete(request);
  await Promise.all(entries.map((e) => request.server.rateLimiter.refund(e.name, e.key, e.durationSeconds)));
}

function keyOf(key: RateLimitKey, request: FastifyRequest): string | undefined {
  if (key === 'ip') return `ip:${request.ip}`;
  if (key === 'user') return request.principal ? `user:${request.principal.userId}` : `ip:${request.ip}`;
  const own = key(request);
  if (own === undefined || own === '') return undefined;
  // Route keys may be e-mail addresses: only a digest of them goes to Redis.
  return `key:${createHash('sha256').update(own).digest('base64url').slice(0, 32)}`;
}

/** Shows the most restrictive decision so far in the headers; refuses when any refused. */
function report(request: FastifyRequest, reply: FastifyReply, decisions: RateLimitDecision[]): void {
  let worst = shown.get(request);
  for (const decision of decisions) {
    if (!worst || moreRestrictive(decision, worst)) worst = decision;
  }
  if (!worst) return;
  shown.set(request, worst);
  void reply.headers({
    'ratelimit-limit': String(worst.limit),
    'ratelimit-remaining': String(worst.remaining),
    'ratelimit-reset': String(worst.resetSeconds),
  });
  if (!worst.allowed) throw rateLimited(worst.resetSeconds);
}

function moreRestrictive(a: RateLimitDecision, b: RateLimitDecision): boolean {
  if (a.allowed !== b.allowed) return !a.allowed;
  if (!a.allowed) return a.resetSeconds > b.resetSeconds;
  if (a.remaining !== b.remaining) return a.remaining < b.remaining;
  return a.resetSeconds > b.resetSeconds;
}

export const rateLimited = (retryAfterSeconds: number) =>
  new AppError(
    429,
    'rate_limited',
    `Too many requests; retry in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.`,
    undefined,
    { 'retry-after': String(retryAfterSeconds) },
  );

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
