import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DISABLE_AFTER_FAILURES,
  RETRY_WINDOW_MS,
  eventBody,
  matchesFilter,
  nextAttemptAt,
  normalizeFilter,
  shouldDisable,
  signatureHeader,
} from './domain.js';

describe('the retry schedule', () => {
  const start = new Date('2026-01-01T00:00:00Z');
  const giveUpAt = new Date(start.getTime() + RETRY_WINDOW_MS);

  /** Every attempt time until the schedule gives up, with a fixed jitter draw. */
  function schedule(random: () => number): Date[] {
    const times: Date[] = [];
    let now = start;
    for (let attempts = 1; ; attempts++) {
      const next = nextAttemptAt(attempts, now, giveUpAt, random);
      if (!next) return times;
      times.push(next);
      now = next;
    }
  }

  it('backs off exponentially from 30 s, capped at 12 h, and stops within 72 h', () => {
    const times = schedule(() => 0.5);
    const gaps = times.map((t, i) => t.getTime() - (i === 0 ? start : times[i - 1]!).getTime());
    expect(gaps.slice(0, 4)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(Math.max(...gaps)).toBe(12 * 3600 * 1000);
    expect(times.at(-1)!.getTime()).toBeLessThanOrEqual(giveUpAt.getTime());
    // Long enough to ride out a day-long outage, not an endless stream.
    expect(times.length).toBeGreaterThanOrEqual(12);
    expect(times.length).toBeLessThanOrEqual(20);
    expect(giveUpAt.getTime() - times.at(-1)!.getTime()).toBeLessThan(12 * 3600 * 1000);
  });

  it('spreads retries ±20 % so endpoints failing together are not retried in lockstep', () => {
    const low = nextAttemptAt(3, start, giveUpAt, () => 0)!.getTime() - start.getTime();
    const high = nextAttemptAt(3, start, giveUpAt, () => 0.999999)!.getTime() - start.getTime();
    expect(low).toBe(96_000);
    expect(high).toBeGreaterThan(143_000);
    expect(high).toBeLessThanOrEqual(144_000);
  });

  it('gives up when the next try would fall after the window', () => {
    expect(nextAttemptAt(1, new Date(giveUpAt.getTime() - 1_000), giveUpAt, () => 0.5)).toBeNull();
  });
});

describe('disabling', () => {
  const now = new Date('2026-01-04T00:00:00Z');
  it('after a run of failures or 72 h without a success', () => {
    expect(shouldDisable({ consecutiveFailures: DISABLE_AFTER_FAILURES - 1, failingSince: now }, now)).toBe(
      false,
    );
    expect(shouldDisable({ consecutiveFailures: DISABLE_AFTER_FAILURES, failingSince: now }, now)).toBe(true);
    const since = (hours: number) => new Date(now.getTime() - hours * 3600 * 1000);
    expect(shouldDisable({ consecutiveFailures: 3, failingSince: since(71) }, now)).toBe(false);
    expect(shouldDisable({ consecutiveFailures: 3, failingSince: since(72) }, now)).toBe(true);
    expect(shouldDisable({ consecutiveFailures: 0, failingSince: null }, now)).toBe(false);
  });
});

describe('signatures', () => {
  const body = eventBody({
    id: 'evt_1',
    type: 'verification.completed',
    createdAt: new Date(0),
    data: { a: 1 },
  });

  it('signs t.body with each live secret, the current one first', () => {
    const hmac = (secret: string) => createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signatureHeader(['whsec_new', 'whsec_old'], 1700000000, body)).toBe(
      `t=1700000000,v1=${hmac('whsec_new')},v1=${hmac('whsec_old')}`,
    );
  });

  it('sends the body as {id, type, createdAt, data}', () => {
    expect(JSON.parse(body)).toEqual({
      id: 'evt_1',
      type: 'verification.completed',
      createdAt: '1970-01-01T00:00:00.000Z',
      data: { a: 1 },
    });
  });
});

describe('event filters', () => {
  it('match listed types, or everything with *', () => {
    expect(matchesFilter(['verification.completed'], 'verification.completed')).toBe(true);
    expect(matchesFilter(['verification.completed'], 'verification.failed')).toBe(false);
    expect(matchesFilter(['*'], 'subscription.renewed')).toBe(true);
    expect(normalizeFilter(['verification.failed', '*', 'verification.failed'])).toEqual(['*']);
    expect(normalizeFilter(['verification.failed', 'verification.failed'])).toEqual(['verification.failed']);
  });
});
