import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The integration tests must fail, never skip, when PostgreSQL or Redis is unreachable: a run
 * pointed at closed ports stops in the global setup with a clear reason and a non-zero exit.
 */
const root = path.resolve(import.meta.dirname, '..');

function runSuiteWith(env: Record<string, string>) {
  return spawnSync(path.join(root, 'node_modules/.bin/vitest'), ['run', 'src/platform/money.test.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('unreachable services fail the run', () => {
  it('PostgreSQL down → the run fails and says so', () => {
    const run = runSuiteWith({ TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(run.status).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toContain(
      'PostgreSQL is unreachable at postgres://postgres@127.0.0.1:1/postgres',
    );
  }, 70_000);

  it('Redis down → the run fails and says so', () => {
    const run = runSuiteWith({ TEST_REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.status).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toContain('Redis is unreachable at redis://127.0.0.1:1');
  }, 70_000);
});
