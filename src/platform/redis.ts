import { Redis } from 'ioredis';

/** Redis is optional: shared rate limits, locks and fan-out across instances when configured. */
export function createRedis(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    enableOfflineQueue: true,
  });
  // Connection errors surface through commands and /readyz; an unhandled 'error' event would crash.
  redis.on('error', () => undefined);
  return redis;
}
