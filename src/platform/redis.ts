import type { Redis } from 'ioredis';

/** A command Redis has not answered by then fails (a frozen Redis must not hold a request). */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/**
 * Redis is optional: shared rate limits, locks and fan-out across instances when configured. Every
 * command is bounded, so a stopped or frozen Redis costs a caller at most about a second; callers on
 * money paths do not wait on it at all (see the verification event bus).
 */
export async function createRedis(url: string): Promise<Redis> {
  // Loaded here, not with the module: an embedded server (no Redis) does not spend its start on it
  // (a later embedded start reached /healthz ~95 ms sooner, median of 8 interleaved).
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    // Also bounds commands waiting in the offline queue while (re)connecting.
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    // Commands issued in the same tick share one socket write: a purchase sends several (ban
    // lookup, rate limits, event publishes) and a write per command was a measured cost.
    enableAutoPipelining: true,
    // (A Lua command must be defined before the pipelines that use it: see createRateLimiter.)
  });
  // Connection errors surface through commands and /readyz; an unhandled 'error' event would crash.
  redis.on('error', () => undefined);
  return redis;
}
