import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CpuSnapshot, cpuPerUnit, cpuSnapshot } from '../bench/system/cpu.js';

/** The benchmark's CPU-per-purchase row: what each process group spent between two snapshots. */
const snapshot = (groups: Partial<Record<keyof CpuSnapshot, [string, number][]>>): CpuSnapshot => ({
  app: new Map(groups.app),
  sandboxes: new Map(groups.sandboxes),
  client: new Map(groups.client),
  postgres: new Map(groups.postgres),
  redis: new Map(groups.redis),
});

describe("the benchmark's CPU accounting", () => {
  it('charges each process what it spent in between, a process that started in between all of it', () => {
    const before = snapshot({
      app: [['10', 5]],
      postgres: [
        ['20', 1],
        ['21', 2],
        ['22', 9],
      ],
    });
    // 22 exited; 23 started (a new connection).
    const after = snapshot({
      app: [['10', 7]],
      postgres: [
        ['20', 1.5],
        ['21', 2.5],
        ['23', 1],
      ],
    });
    expect(cpuPerUnit(before, after, 1_000)).toEqual({
      app: 2,
      postgres: 2,
      sandboxes: 0,
      client: 0,
      redis: 0,
    });
  });

  it.runIf(existsSync('/proc/self/stat'))('reads this process and the local PostgreSQL from /proc', () => {
    const before = cpuSnapshot({ app: [], sandboxes: [], client: [process.pid] });
    const spinUntil = performance.now() + 50;
    while (performance.now() < spinUntil) Math.sqrt(Math.random());
    const after = cpuSnapshot({ app: [], sandboxes: [], client: [process.pid] });
    expect(before && after).toBeTruthy();
    expect(cpuPerUnit(before!, after!, 1).client).toBeGreaterThan(0);
    // The integration tests' PostgreSQL runs here: its processes are found by name.
    expect(after!.postgres.size).toBeGreaterThan(0);
  });
});
