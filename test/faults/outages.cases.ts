import { describe, expect, it } from 'vitest';
import { checkMoney, describeAnswers, reconcileUntilSettled } from './checks.js';
import { purchaseLoad } from './load.js';
import { type FaultContext, type FaultSystem, call } from './system.js';

/**
 * Redis, then PostgreSQL, stopped and started again while buyers keep buying. Redis is optional
 * (purchases go on, /readyz says degraded); without PostgreSQL clients get a quick 503 with
 * Retry-After (never a hang), /readyz says unavailable, and the same process recovers on its own.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const readiness = async (system: FaultSystem) => {
  const answer = await call(system.base, 'GET', '/readyz', { timeoutMs: 10_000 });
  return { status: answer.status, body: answer.body };
};

/** Polls until `check` holds; the time it took, in ms. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export function outageCases(context: () => FaultContext): void {
  describe('outages under load', () => {
    it('Redis stopped and started: purchases go on, /readyz degraded then ready', async () => {
      const { system, buyers } = context();
      const load = purchaseLoad(system, buyers, { pauseMs: 100, timeoutMs: 60_000 });
      await sleep(1_500);
      const stoppedAt = Date.now();
      await system.redis.stop();
      const noticed = await until(
        async () => (await readiness(system)).body.status === 'degraded',
        20_000,
        '/readyz reports Redis down',
      );
      expect((await readiness(system)).status).toBe(200);
      await sleep(3_000);
      const during = load.attempts.filter((a) => a.at >= stoppedAt);
      await system.redis.start();
      const restartedAt = Date.now();
      const recovered = await until(
        async () => (await readiness(system)).body.status === 'ready',
        30_000,
        '/readyz reports Redis back',
      );
      await sleep(1_000);
      const { all } = await load.stop();
      const after = all.filter((a) => a.at >= restartedAt + recovered);
      console.log(
        `[Redis outage] during: ${describeAnswers(during)}; /readyz degraded after ${noticed} ms, ready ` +
          `${recovered} ms after Redis restarted; after: ${describeAnswers(after)}`,
      );
      // Redis is optional: no buyer is refused or kept waiting for it.
      expect(during.length).toBeGreaterThan(0);
      expect(during.filter((a) => a.status !== 201)).toEqual([]);
      expect(after.filter((a) => a.status !== 201)).toEqual([]);
      await reconcileUntilSettled(system, 120_000);
      await checkMoney(system, 'Redis outage');
    }, 240_000);

    it('PostgreSQL restarted: 503 with Retry-After (no hang), /readyz unavailable, recovery without a restart', async () => {
      const { system, buyers } = context();
      const pid = system.app!.child.pid;
      const load = purchaseLoad(system, buyers, { pauseMs: 100, timeoutMs: 30_000 });
      await sleep(1_500);
      const stoppedAt = Date.now();
      await system.cluster.stop();
      const noticed = await until(
        async () => {
          const ready = await readiness(system);
          return ready.status === 503 && (ready.body.checks as { database?: string })?.database === 'down';
        },
        20_000,
        '/readyz reports the database down',
      );
      await sleep(4_000);
      const during = load.attempts.filter((a) => a.at > stoppedAt);
      await system.cluster.start();
      const startedAt = Date.now();
      const firstSuccess = await until(
        async () => load.attempts.some((a) => a.at > startedAt && a.status === 201),
        60_000,
        'a purchase succeeds again',
      );
      const ready = await until(
        async () => (await readiness(system)).status === 200,
        30_000,
        '/readyz ready again',
      );
      const { all } = await load.stop();
      const outage = all.filter((a) => a.at > stoppedAt && a.at < startedAt);
      console.log(
        `[PostgreSQL restart] during the outage: ${describeAnswers(during)}; /readyz unavailable after ` +
          `${noticed} ms; first purchase ${(firstSuccess / 1000).toFixed(1)} s and /readyz ready ` +
          `${(ready / 1000).toFixed(1)} s after PostgreSQL was back; overall ${describeAnswers(all)}`,
      );
      // Clients were answered, fast, with 503 + Retry-After, not left hanging.
      const refused = outage.filter((a) => a.status !== 201);
      expect(refused.length).toBeGreaterThan(0);
      for (const attempt of refused) {
        expect(attempt.status, JSON.stringify(attempt)).toBe(503);
        expect(attempt.retryAfter).not.toBeNull();
        expect(attempt.ms).toBeLessThan(15_000);
      }
      // The same process, recovered on its own.
      expect(system.app!.child.pid).toBe(pid);
      expect(system.app!.child.exitCode).toBeNull();
      await reconcileUntilSettled(system, 150_000);
      await checkMoney(system, 'PostgreSQL restart');
    }, 300_000);
  });
}
