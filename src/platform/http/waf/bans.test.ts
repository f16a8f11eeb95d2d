import { describe, expect, it } from 'vitest';
import { MemoryBanStore, OffenderBans, banKey } from './bans.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('OffenderBans with the memory store', () => {
  it('bans after N strikes within the window, and the ban expires', async () => {
    const time = clock();
    const bans = new OffenderBans(new MemoryBanStore({ now: time.now }), {
      threshold: 3,
      windowMs: 60_000,
      durationMs: 600_000,
    });
    expect(await bans.recordOffence('198.51.100.9')).toEqual({ strikes: 1, banned: false });
    expect(await bans.recordOffence('198.51.100.9')).toEqual({ strikes: 2, banned: false });
    expect(await bans.isBanned('198.51.100.9')).toBe(false);
    expect(await bans.recordOffence('198.51.100.9')).toEqual({ strikes: 3, banned: true });
    expect(await bans.isBanned('198.51.100.9')).toBe(true);
    expect(await bans.isBanned('198.51.100.10')).toBe(false);
    time.advance(599_999);
    expect(await bans.isBanned('198.51.100.9')).toBe(true);
    time.advance(1);
    expect(await bans.isBanned('198.51.100.9')).toBe(false);
  });

  it('forgets strikes once the window has passed', async () => {
    const time = clock();
    const bans = new OffenderBans(new MemoryBanStore({ now: time.now }), {
      threshold: 2,
      windowMs: 1_000,
      durationMs: 5_000,
    });
    await bans.recordOffence('203.0.113.1');
    time.advance(1_001);
    expect(await bans.recordOffence('203.0.113.1')).toEqual({ strikes: 1, banned: false });
  });

  it('can lift a ban', async () => {
    const bans = new OffenderBans(new MemoryBanStore(), {
      threshold: 1,
      windowMs: 1_000,
      durationMs: 60_000,
    });
    await bans.recordOffence('203.0.113.1');
    expect(await bans.isBanned('203.0.113.1')).toBe(true);
    await bans.unban('203.0.113.1');
    expect(await bans.isBanned('203.0.113.1')).toBe(false);
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped address as IPv4', async () => {
    expect(banKey('2001:db8:1:2:aaaa::1')).toBe(banKey('2001:db8:1:2:ffff::9'));
    expect(banKey('2001:db8:1:2::1')).not.toBe(banKey('2001:db8:1:3::1'));
    expect(banKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    const bans = new OffenderBans(new MemoryBanStore(), {
      threshold: 2,
      windowMs: 10_000,
      durationMs: 10_000,
    });
    await bans.recordOffence('2001:db8:1:2::1');
    await bans.recordOffence('2001:db8:1:2::2');
    expect(await bans.isBanned('2001:db8:1:2::3')).toBe(true);
  });

  it('keeps memory bounded', async () => {
    const store = new MemoryBanStore({ maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) await store.addStrike(`k${i}`, 60_000);
    expect(await store.addStrike('k999', 60_000)).toBe(2);
    expect(await store.addStrike('k0', 60_000)).toBe(1);
  });
});
