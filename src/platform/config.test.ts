import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('defaults to the embedded mode with no settings at all', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './data' });
    expect(config.port).toBe(3000);
    expect(config.sandboxes).toBe(true);
    expect(config.publicUrl).toBe('http://localhost:3000');
  });

  it('uses PostgreSQL when DATABASE_URL is set, with sandboxes off unless asked', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/namaskah' });
    expect(config.database).toMatchObject({ kind: 'pg', url: 'postgres://u@db:5432/namaskah' });
    expect(config.sandboxes).toBe(false);
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
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        APP_SECRET: 'x'.repeat(40),
        DATABASE_URL: 'postgres://db/n',
        PUBLIC_URL: 'https://namaskah.example',
      }),
    ).not.toThrow();
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        APP_SECRET: 'x'.repeat(40),
        DATABASE_URL: 'postgres://db/n',
        PUBLIC_URL: 'https://namaskah.example',
        ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
      }),
    ).toThrow(/local use only/);
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
