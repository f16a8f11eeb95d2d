/**
 * Embedded start (`npm start` with no DATABASE_URL: PGlite in a data folder): time from the first
 * process spawned to the server's first 200 on /healthz (it serves), then on /readyz (its job
 * queue, which starts as the server begins to serve, is running too), and the server process's
 * peak RSS (VmHWM) at /healthz, for a first start (new data folder) and a later start (same
 * folder). `npm start` is measured as package.json runs it, without npm: its prestart (which only
 * checks that the bundle in .run/ is fresh), then the server. The one-off costs of a new checkout
 * are timed on their own: the server's bundle (.run/ is removed and the prestart run before each
 * first start), and the initialised template a first start copies (own short-lived process, once
 * per PGlite version and migration set). The web app is built beforehand. BENCH_START_ROUNDS
 * rounds (default 3).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { ensurePgliteTemplate, ensureSpareCopy } from '../src/platform/db/pglite-template.js';
import { ensureWebBuild } from '../scripts/web-build.js';
import { RUN_DIR } from '../scripts/start-inputs.mjs';
import { freePort } from '../test/support/embedded.js';
import { npmStartSteps } from '../test/support/npm-start.js';
import { fmt } from './support.js';

const ROUNDS = Number(process.env.BENCH_START_ROUNDS ?? 3);
const root = path.resolve(import.meta.dirname, '..');

/** Peak resident memory of a live process, in MB. */
function peakRssMb(pid: number): number {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- /proc of our own child
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

async function answers200(port: number, route: '/healthz' | '/readyz'): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`).catch(() => undefined);
  await response?.body?.cancel();
  return response?.status === 200;
}

/**
 * How the server is started: the processes run one after the other, each a list of node arguments,
 * the last one the server. `npm start` bundles (when stale) then runs .run/main.cjs with its code cache; the build runs dist/.
 */
const { prestart, start } = npmStartSteps();
const RUNNERS = {
  'npm start': [prestart, start],
  'node dist/main.js': [['dist/main.js']],
} as const;
type Runner = keyof typeof RUNNERS;

interface Start {
  /** From the first spawn to /healthz. */
  ms: number;
  /** From the first spawn to /readyz: the database, and the job queue started (it starts as the server serves). */
  readyMs: number;
  /** Of which the steps before the server (npm start's prestart). */
  beforeMs: number;
  peakMb: number;
}

const CODE_CACHE = path.join(RUN_DIR, 'main.cjs.v8-cache');

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!condition() && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** One start: the steps before the server, then the server process. */
async function startOnce(dataDir: string, runner: Runner): Promise<Start> {
  const port = await freePort();
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
  const steps = RUNNERS[runner];
  const started = performance.now();
  for (const args of steps.slice(0, -1)) {
    const step = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (step.status !== 0)
      throw new Error(`node ${args.join(' ')} exited with ${step.status ?? step.signal}`);
  }
  const beforeMs = performance.now() - started;
  const child: ChildProcess = spawn(process.execPath, [...steps.at(-1)!], {
    cwd: root,
    env: { ...env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const until200 = async (route: '/healthz' | '/readyz') => {
    while (!(await answers200(port, route))) {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return performance.now() - started;
  };
  try {
    const ms = await until200('/healthz');
    const peakMb = peakRssMb(child.pid!);
    const readyMs = await until200('/readyz');
    // A server saves its code cache a second after it serves (scripts/serve-bundle.cjs); one that
    // a person runs lives longer than that, so the next start here finds it as theirs would.
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- .run/'s code cache
    if (runner === 'npm start') await waitFor(() => existsSync(CODE_CACHE), 5_000);
    return { ms, readyMs, beforeMs, peakMb };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** npm start's prestart on a checkout without .run/ (a fresh clone, or src/ changed): ms. */
function bundleOnce(): number {
  rmSync(RUN_DIR, { recursive: true, force: true });
  const started = performance.now();
  const step = spawnSync(process.execPath, prestart, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (step.status !== 0)
    throw new Error(`node ${prestart.join(' ')} exited with ${step.status ?? step.signal}`);
  return performance.now() - started;
}

/** What a cold cache costs: the template builder on a temp folder, its peak sampled while it runs. */
async function buildTemplateOnce(): Promise<{ ms: number; peakMb: number }> {
  const folder = mkdtempSync(path.join(tmpdir(), 'namaskah-template-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/embedded-template-cli.ts', folder], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peakMb = 0;
  const sampler = setInterval(() => {
    try {
      const sample = peakRssMb(child.pid!);
      // A process that has exited but not been reaped has no VmHWM.
      if (Number.isFinite(sample)) peakMb = Math.max(peakMb, sample);
    } catch {
      // exited between samples
    }
  }, 25);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  rmSync(folder, { recursive: true, force: true });
  if (code !== 0) throw new Error(`the template build exited with ${code}`);
  return { ms: performance.now() - started, peakMb };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(
  `Embedded start (PGlite), ${ROUNDS} rounds; load average ${loadavg()
    .map((n) => fmt(n, 2))
    .join(' ')} on this machine`,
);
const template = await ensurePgliteTemplate();
// Built once beforehand: a stale web app would make the first round's figure a Vite build's.
await ensureWebBuild({ quiet: true });
const build = await buildTemplateOnce();
console.log(
  `template build (own process, once per PGlite version and migration set): ${fmt(build.ms / 1000, 2)} s, ` +
    `peak RSS ${fmt(build.peakMb, 0)} MB`,
);

console.log(`npm start: node ${prestart.join(' ')}, then node ${start.join(' ')}`);
const runners: Runner[] = ['npm start'];
if (existsSync(path.join(root, 'dist/main.js'))) runners.push('node dist/main.js');
else console.log('node dist/main.js: not measured (run `npm run build` first)');

for (const runner of runners) {
  const first: Start[] = [];
  const later: Start[] = [];
  const bundles: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'namaskah-start-bench-'));
    try {
      // Like the web app and the template, the server's bundle is built once per change (of src/
      // or the installed packages), by the first `npm start` of a checkout: timed on its own.
      if (runner === 'npm start') bundles.push(bundleOnce());
      // As a new checkout has it: the template build leaves a spare copy for the first start.
      await ensureSpareCopy(template);
      first.push(await startOnce(dataDir, runner));
      later.push(await startOnce(dataDir, runner));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  if (bundles.length > 0) {
    console.log(
      `npm start, server bundle build (prestart with no .run/, once per change of src/ or the packages): ` +
        `median ${fmt(median(bundles) / 1000, 2)} s`,
    );
  }
  for (const [what, runs, limitS] of [
    ['first start', first, 3],
    ['later start', later, 2],
  ] as const) {
    const seconds = runs.map((r) => r.ms / 1000);
    const readySeconds = runs.map((r) => r.readyMs / 1000);
    const peak = Math.max(...runs.map((r) => r.peakMb));
    const before = median(runs.map((r) => r.beforeMs / 1000));
    console.log(
      `${runner}, ${what}: to /healthz median ${fmt(median(seconds), 2)} s (max ${fmt(Math.max(...seconds), 2)} s, goal < ${limitS} s` +
        `${runner === 'npm start' ? `; prestart median ${fmt(before, 2)} s` : ''}); ` +
        `to /readyz median ${fmt(median(readySeconds), 2)} s (max ${fmt(Math.max(...readySeconds), 2)} s); ` +
        `peak RSS max ${fmt(peak, 0)} MB (goal < 300 MB)`,
    );
  }
}
