/**
 * Temporary bans for repeat offenders (SPEC §5): `threshold` strikes within `windowMs` ban the
 * client for `durationMs`. The counting lives behind `BanStore` (async), so the in-memory store
 * used in embedded mode can be swapped for a Redis one (INCR + PEXPIRE NX for strikes, SET PX for
 * bans) without touching the policy.
 *
 * Clients are keyed by address; IPv6 clients by their /64 (one host usually owns the whole /64).
 */
import { parseClientAddress } from './blocklist.js';

export interface BanStore {
  /** Adds one strike to `key` and returns the strikes in the current window (fixed window from the first). */
  addStrike(key: string, windowMs: number): Promise<number>;
  /** Bans `key` for `durationMs` from now. */
  ban(key: string, durationMs: number): Promise<void>;
  /** The time (epoch ms) the ban on `key` ends, or null when not banned. */
  bannedUntil(key: string): Promise<number | null>;
  /** Lifts a ban and clears strikes. */
  unban(key: string): Promise<void>;
}

export interface MemoryBanStoreOptions {
  /** Clock, injectable for tests. */
  now?: () => number;
  /** Most keys kept (strikes and bans each); the oldest are dropped beyond it. */
  maxKeys?: number;
}

export class MemoryBanStore implements BanStore {
  private readonly strikes = new Map<string, { count: number; resetAt: number }>();
  private readonly bans = new Map<string, number>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(options: MemoryBanStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  async addStrike(key: string, windowMs: number): Promise<number> {
    const now = this.now();
    const current = this.strikes.get(key);
    if (!current || current.resetAt <= now) {
      this.strikes.delete(key);
      this.strikes.set(key, { count: 1, resetAt: now + windowMs });
      this.evict(this.strikes);
      return 1;
    }
    current.count += 1;
    return current.count;
  }

  async ban(key: string, durationMs: number): Promise<void> {
    this.bans.delete(key);
    this.bans.set(key, this.now() + durationMs);
    this.strikes.delete(key);
    this.evict(this.bans);
  }

  async bannedUntil(key: string): Promise<number | null> {
    const until = this.bans.get(key);
    if (until === undefined) return null;
    if (until <= this.now()) {
      this.bans.delete(key);
      return null;
    }
    return until;
  }

  async unban(key: string): Promise<void> {
    this.bans.delete(key);
    this.strikes.delete(key);
  }

  /** Maps iterate in insertion order: drop the oldest entries over the cap. */
  private evict(map: Map<string, unknown>): void {
    while (map.size > this.maxKeys) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) break;
      map.delete(oldest);
    }
  }
}

export interface BanPolicy {
  /** Strikes within the window that earn a ban. */
  threshold: number;
  windowMs: number;
  durationMs: number;
}

export class OffenderBans {
  constructor(
    private readonly store: BanStore,
    private readonly policy: BanPolicy,
  ) {}

  /** Records one offence; bans the client when it reaches the threshold. */
  async recordOffence(ip: string): Promise<{ strikes: number; banned: boolean }> {
    const key = banKey(ip);
    const strikes = await this.store.addStrike(key, this.policy.windowMs);
    if (strikes >= this.policy.threshold) {
      await this.store.ban(key, this.policy.durationMs);
      return { strikes, banned: true };
    }
    return { strikes, banned: false };
  }

  async isBanned(ip: string): Promise<boolean> {
    return (await this.store.bannedUntil(banKey(ip))) !== null;
  }

  async unban(ip: string): Promise<void> {
    await this.store.unban(banKey(ip));
  }
}

/** The key a client is counted under: its IPv4 address, or its IPv6 /64. */
export function banKey(ip: string): string {
  const address = parseClientAddress(ip);
  if (!address) return `raw:${ip.slice(0, 64)}`;
  if (address.kind() === 'ipv4') return address.toString();
  const parts = (address as { parts: number[] }).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}
