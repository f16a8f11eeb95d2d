import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const METRICS_TOKEN = 'm'.repeat(24);
/** A complete production configuration; each test changes one thing. */
const PRODUCTION = {
  NODE_ENV: 'production',
  APP_SECRET: 'x'.repeat(40),
  DATABASE_URL: 'postgres://db/n',
  PUBLIC_URL: 'https://namaskah.example',
  SMTP_URL: 'smtp://mail.example:587',
  METRICS_TOKEN,
};

describe('configuration', () => {
  it('defaults to the embedded mode with no settings at all', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './data' });
    expect(config.port).toBe(3000);
    expect(config.sandboxes).toBe(true);
    expect(config.publicUrl).toBe('http://localhost:3000');
  });

  it('5sim is optional: configured by its key, its currency rate checked', () => {
    expect(loadConfig({}).fiveSim).toEqual({
      baseUrl: undefined,
      apiKey: undefined,
      centsPerUnit: 100,
      reuseWindowMs: 15 * 60_000,
    });
    expect(
      loadConfig({
        FIVESIM_API_KEY: ' eyJ.key ',
        FIVESIM_BASE_URL: 'https://5sim.net',
        FIVESIM_CENTS_PER_UNIT: '1.1',
        FIVESIM_REUSE_WINDOW_SECONDS: '120',
      }).fiveSim,
    ).toEqual({ baseUrl: 'https://5sim.net', apiKey: 'eyJ.key', centsPerUnit: 1.1, reuseWindowMs: 120_000 });
    expect(() => loadConfig({ FIVESIM_CENTS_PER_UNIT: '0' })).toThrow(/FIVESIM_CENTS_PER_UNIT/);
    expect(() => loadConfig({ FIVESIM_REUSE_WINDOW_SECONDS: '-1' })).toThrow(/FIVESIM_REUSE_WINDOW_SECONDS/);
  });

  it('uses PostgreSQL when DATABASE_URL is set, with sandboxes off unless asked', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/namaskah', APP_SECRET: 'z'.repeat(32) });
    expect(config.database).toMatchObject({ kind: 'pg', url: 'postgres://u@db:5432/namaskah' });
    expect(config.sandboxes).toBe(false);
  });

  it('prepares hot statements under a name unless DATABASE_NAMED_STATEMENTS=false (an old pooler)', () => {
    const pg = { DATABASE_URL: 'postgres://u@db:5432/namaskah', APP_SECRET: 'z'.repeat(32) };
    expect(loadConfig(pg).database).toMatchObject({ namedStatements: true });
    expect(loadConfig({ ...pg, DATABASE_NAMED_STATEMENTS: 'false' }).database).toMatchObject({
      namedStatements: false,
    });
    expect(() => loadConfig({ ...pg, DATABASE_NAMED_STATEMENTS: 'sometimes' })).toThrow(
      /DATABASE_NAMED_STATEMENTS/,
    );
  });

  it('keeps the whole pool open by default; DATABASE_POOL_MIN lowers it, never above the pool size', () => {
    const pg = { DATABASE_URL: 'postgres://u@db:5432/namaskah', APP_SECRET: 'z'.repeat(32) };
    expect(loadConfig(pg).database).toMatchObject({ poolSize: 20, poolMin: 20 });
    // Left empty as in .env.example: unset, not 0.
    expect(loadConfig({ ...pg, DATABASE_POOL_MIN: '' }).database).toMatchObject({ poolMin: 20 });
    expect(loadConfig({ ...pg, DATABASE_POOL_MIN: '0' }).database).toMatchObject({ poolMin: 0 });
    expect(loadConfig({ ...pg, DATABASE_POOL_SIZE: '8', DATABASE_POOL_MIN: '50' }).database).toMatchObject({
      poolSize: 8,
      poolMin: 8,
    });
    expect(() => loadConfig({ ...pg, DATABASE_POOL_MIN: '-1' })).toThrow(/DATABASE_POOL_MIN/);
  });

  it('takes a Unix-socket DATABASE_URL (PostgreSQL on the same host)', () => {
    const url = 'postgres://namaskah@localhost/namaskah?host=/var/run/postgresql';
    expect(loadConfig({ DATABASE_URL: url, APP_SECRET: 'z'.repeat(32) }).database).toMatchObject({
      kind: 'pg',
      url,
    });
  });

  it.each([
    [{ DATABASE_URL: 'mysql://localhost/db' }, /DATABASE_URL must be a postgres/],
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ REDIS_URL: 'http://localhost:6379' }, /REDIS_URL must be a redis/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV/],
  ])('refuses %o with a one-line reason', (env, reason) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as Error).message).toMatch(reason);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('production needs a real secret, a database and a public URL', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/APP_SECRET is required in production/);
    expect(() => loadConfig(PRODUCTION)).not.toThrow();
    expect(() => loadConfig({ ...PRODUCTION, ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' })).toThrow(
      /local use only/,
    );
  });

  it.each([
    [{ SANDBOXES: 'true' }, /SANDBOXES is refused in production/],
    [{ SANDBOXES: '1' }, /SANDBOXES is refused in production/],
    [{ SMTP_URL: '' }, /SMTP_URL is required in production/],
    [{ METRICS_TOKEN: '' }, /METRICS_TOKEN or METRICS_PORT is required in production/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be 16\+ characters/],
  ])('refuses production with %o, one line', (change, reason) => {
    expect(() => loadConfig({ ...PRODUCTION, ...change })).toThrow(ConfigError);
    expect(() => loadConfig({ ...PRODUCTION, ...change })).toThrow(reason);
    expect(() => loadConfig({ ...PRODUCTION, ...change })).not.toThrow(/\n/);
  });

  it('production serves /metrics behind a token or on its own listener', () => {
    expect(loadConfig(PRODUCTION).metrics).toEqual({
      token: METRICS_TOKEN,
      port: undefined,
      host: '127.0.0.1',
    });
    expect(loadConfig({ ...PRODUCTION, METRICS_TOKEN: '', METRICS_PORT: '9100' }).metrics).toEqual({
      token: undefined,
      port: 9100,
      host: '127.0.0.1',
    });
    expect(loadConfig({}).metrics).toEqual({ token: undefined, port: undefined, host: '127.0.0.1' });
    expect(() => loadConfig({ PORT: '8080', METRICS_PORT: '8080' })).toThrow(
      /METRICS_PORT must differ from PORT/,
    );
  });

  it('a PostgreSQL database needs APP_SECRET in every mode: the development secret is public', () => {
    for (const NODE_ENV of ['development', 'test', undefined]) {
      expect(() => loadConfig({ NODE_ENV, DATABASE_URL: 'postgres://db/n' })).toThrow(
        /APP_SECRET is required whenever DATABASE_URL is set/,
      );
      expect(() =>
        loadConfig({ NODE_ENV, DATABASE_URL: 'postgres://db/n', APP_SECRET: 'too-short' }),
      ).toThrow(/APP_SECRET is required whenever DATABASE_URL is set \(32\+ characters\)/);
      expect(
        loadConfig({ NODE_ENV, DATABASE_URL: 'postgres://db/n', APP_SECRET: 'y'.repeat(32) }).appSecret,
      ).toBe('y'.repeat(32));
    }
    // Embedded (PGlite) keeps its zero-setup development secret.
    expect(() => loadConfig({})).not.toThrow();
  });

  it('APP_SECRET_FALLBACKS: a comma-separated list of 32+ character secrets, empty by default', () => {
    const base = { DATABASE_URL: 'postgres://db/n', APP_SECRET: 'y'.repeat(32) };
    expect(loadConfig(base).appSecretFallbacks).toEqual([]);
    expect(
      loadConfig({ ...base, APP_SECRET_FALLBACKS: `${'a'.repeat(32)}, ${'b'.repeat(40)}` })
        .appSecretFallbacks,
    ).toEqual(['a'.repeat(32), 'b'.repeat(40)]);
    expect(() => loadConfig({ ...base, APP_SECRET_FALLBACKS: `${'a'.repeat(32)},short` })).toThrow(
      /APP_SECRET_FALLBACKS must be a comma-separated list of secrets of 32\+ characters/,
    );
  });

  it('never echoes a secret value in its error', () => {
    try {
      loadConfig({
        NODE_ENV: 'production',
        APP_SECRET: 'short-but-secret-value',
        DATABASE_URL: 'postgres://db/n',
      });
    } catch (error) {
      expect((error as Error).message).not.toContain('short-but-secret-value');
    }
  });
});
