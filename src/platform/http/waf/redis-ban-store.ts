import type { Redis } from 'ioredis';
import { type BanStore, MemoryBanStore } from './bans.js';

/** Adds a strike and starts the window on the first one, atomically. */
const ADD_STRIKE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/**
 * Bans shared by every instance through Redis, so an offender banned by one instance is refused
 * by all. When Redis fails or is slow the store answers from memory for a while (this instance
 * only) rather than turning the firewall into a source of 500s.
 */
export class RedisBanStore implements BanStore {
  private readonly fallback = new MemoryBanStore();
  private degradedUntil = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly options: { timeoutMs?: number; onDegraded?: (error: unknown) => void } = {},
  ) {}

  addStrike(key: string, windowMs: number): Promise<number> {
    return this.use(
      async () => Number(await this.redis.eval(ADD_STRIKE, 1, this.strikesKey(key), String(windowMs))),
      () => this.fallback.addStrike(key, windowMs),
    );
  }

  ban(key: string, durationMs: number): Promise<void> {
    return this.use(
      async () => {
        await this.redis
          .multi()
          .set(this.banKey(key), String(Date.now() + durationMs), 'PX', durationMs)
          .del(this.strikesKey(key))
          .exec();
      },
      () => this.fallback.ban(key, durationMs),
    );
  }

  bannedUntil(key: string): Promise<number | null> {
    return this.use(
      async () => {
        const until = await this.redis.get(this.banKey(key));
        return until === null ? null : Number(until);
      },
      () => this.fallback.bannedUntil(key),
    );
  }

  unban(key: string): Promise<void> {
    return this.use(
      async () => {
        await this.redis.del(this.banKey(key), this.strikesKey(key));
      },
      () => this.fallback.unban(key),
    );
  }

  private strikesKey = (key: string) => `${this.prefix}:strikes:${key}`;
  private banKey = (key: string) => `${this.prefix}:ban:${key}`;

  private async use<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (Date.now() < this.degradedUntil || this.redis.status !== 'ready') return local();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        shared(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('Redis did not answer in time')),
            this.options.timeoutMs ?? 300,
          );
        }),
      ]);
    } catch (error) {
      // Stay local for a few seconds so a dead Redis costs one timeout, not one per request.
      this.degradedUntil = Date.now() + 5_000;
      this.options.onDegraded?.(error);
      return local();
    } finally {
      clearTimeout(timer);
    }
  }
}
