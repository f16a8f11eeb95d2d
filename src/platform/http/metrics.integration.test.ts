import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { startRuntime } from '../../runtime.js';
import { loadConfig } from '../config.js';

/** SPEC §9: `/metrics` needs a token or its own listener (production refuses to start without one). */

const TOKEN = 'metrics-scraper-token-0123456789';
const SECURITY = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' };

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createPostgresTestDatabase(4);
});
afterAll(async () => {
  await testDb?.dispose();
});

describe('/metrics', () => {
  it('with METRICS_TOKEN answers only "Authorization: Bearer <token>"', async () => {
    const app = await createTestApp({ database: testDb.database, env: { METRICS_TOKEN: TOKEN } });
    try {
      for (const authorization of [
        undefined,
        'Bearer wrong-token-0123456789abcdef',
        `Bearer ${TOKEN}x`,
        `Basic ${Buffer.from(`prometheus:${TOKEN}`).toString('base64')}`,
        TOKEN,
      ]) {
        const refused = await app.inject({
          url: '/metrics',
          headers: authorization ? { authorization } : {},
        });
        expect(refused.statusCode, authorization).toBe(401);
        expect(refused.json(), authorization).toMatchObject({ error: { code: 'unauthenticated' } });
        expect(refused.headers, authorization).toMatchObject(SECURITY);
        expect(refused.body).not.toContain('namaskah_');
      }
      const scraped = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(scraped.statusCode).toBe(200);
      // The scheme's name is case-insensitive (RFC 9110 §11.1).
      const lower = await app.inject({ url: '/metrics', headers: { authorization: `bearer ${TOKEN}` } });
      expect(lower.statusCode).toBe(200);
      expect(scraped.headers['content-type']).toContain('text/plain');
      expect(scraped.body).toContain('namaskah_http_request_duration_seconds');
      // The token is the scraper's, not a user's: the rest of the API does not take it.
      expect(
        (await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode,
      ).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('with METRICS_PORT leaves the public port and is served on its own listener', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'namaskah-metrics-'));
    const runtime = await startRuntime(
      loadConfig({
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        METRICS_PORT: '0',
        LOG_LEVEL: 'silent',
        SANDBOXES: 'false',
      }),
    );
    try {
      const publicAnswer = await fetch(`${runtime.url}/metrics`);
      expect(publicAnswer.status).toBe(404);
      expect(runtime.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(runtime.metricsUrl).not.toBe(runtime.url);
      const scraped = await fetch(`${runtime.metricsUrl}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('namaskah_ledger_invariant_violations 0');
      // Nothing else is served there.
      expect((await fetch(`${runtime.metricsUrl}/api/v1/catalog/services`)).status).toBe(404);
    } finally {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Closed with the runtime.
    await expect(fetch(`${runtime.metricsUrl}/metrics`)).rejects.toThrow();
  }, 60_000);

  it('on its own listener still asks for the token when both are set', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'namaskah-metrics-'));
    const runtime = await startRuntime(
      loadConfig({
        DATA_DIR: dataDir,
        ROLE: 'worker',
        METRICS_PORT: '0',
        METRICS_TOKEN: TOKEN,
        LOG_LEVEL: 'silent',
        SANDBOXES: 'false',
      }),
    );
    try {
      // A worker serves no API, but its metrics are scraped all the same.
      expect(runtime.url).toBeUndefined();
      const refused = await fetch(`${runtime.metricsUrl}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
      const scraped = await fetch(`${runtime.metricsUrl}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('namaskah_job_failures_total');
    } finally {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
