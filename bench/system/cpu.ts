import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time per process group, read from /proc (Linux): what each part of the system spent while a
 * round ran. The machine has two cores that the app, PostgreSQL, the sandboxes and the clients
 * share, so the sum per purchase is the ceiling on purchases per second; the split says whose
 * time it is. Elsewhere (no /proc) every figure is undefined and the benchmark prints none.
 */
export interface CpuGroups {
  app: number[];
  sandboxes: number[];
  /** The benchmark's own process: its clients (and the proxy in front of several instances). */
  client: number[];
}

export type CpuSeconds = Record<keyof CpuGroups | 'postgres' | 'redis', number>;

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node runs on

function processSeconds(pid: number | string): number {
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- /proc/<pid>/stat
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0; // exited
  }
}

/** Every process whose command is `name`: the server's backends and helpers, whatever their role. */
function processesNamed(name: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- /proc/<pid>/comm
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name) found.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Each process's CPU seconds so far, per group; undefined where /proc cannot be read. */
export type CpuSnapshot = Record<keyof CpuSeconds, Map<string, number>>;

export function cpuSnapshot(groups: CpuGroups): CpuSnapshot | undefined {
  try {
    readdirSync('/proc/self');
  } catch {
    return undefined;
  }
  const read = (pids: (number | string)[]) => new Map(pids.map((pid) => [String(pid), processSeconds(pid)]));
  return {
    app: read(groups.app),
    sandboxes: read(groups.sandboxes),
    client: read(groups.client),
    postgres: read(processesNamed('postgres')),
    redis: read(processesNamed('redis-server')),
  };
}

/**
 * Milliseconds of CPU per unit of work between two snapshots: each process alive at the second,
 * less what it had spent at the first (nothing if it started in between). A process that exited
 * in between is not counted: the app's database connections stay open while a round runs.
 */
export function cpuPerUnit(before: CpuSnapshot, after: CpuSnapshot, units: number): CpuSeconds {
  const per = (key: keyof CpuSeconds) => {
    let spent = 0;
    for (const [pid, seconds] of after[key]) spent += Math.max(0, seconds - (before[key].get(pid) ?? 0));
    return (spent * 1000) / units;
  };
  return {
    app: per('app'),
    sandboxes: per('sandboxes'),
    client: per('client'),
    postgres: per('postgres'),
    redis: per('redis'),
  };
}
