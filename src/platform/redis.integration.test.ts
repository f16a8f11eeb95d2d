import { RateLimiterRedis } from 'rate-limiter-flexible';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../test/support/services.js';
import { createRedis } from './redis.js';

const clients: ReturnType<typeof createRedis>[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

describe('the Redis client', () => {
  it('survives a rate limit first used in the same tick as other commands (auto-pipelining)', async () => {
    const redis = createRedis(TEST_REDIS_URL);
    clients.push(redis);
    await redis.connect();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const prefix = `test:pipelining:${Date.now()}`;
      // A command opens this tick's pipeline; the limiter defines its Lua command after it, as the
      // first request of a new rate limit does while other requests' lookups are being sent.
      const lookup = redis.get(`${prefix}:ban`);
      const limiter = new RateLimiterRedis({
        storeClient: redis,
        points: 10,
        duration: 60,
        keyPrefix: prefix,
      });
      const consumed = limiter.consume('client');
      await expect(lookup).resolves.toBeNull();
      await expect(consumed).resolves.toMatchObject({ consumedPoints: 1 });
      // ioredis throws from a process.nextTick callback when it runs the pipeline empty.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
