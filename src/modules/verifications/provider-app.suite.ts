import { afterAll, beforeAll } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { createTextVerifiedClient } from '../../providers/textverified/index.js';
import { type TextVerifiedSandbox, startTextVerifiedSandbox } from '../../sandbox/textverified/index.js';

/**
 * The app on a database of its own with the TextVerified sandbox behind the real client (SMS only on
 * command, plenty of stock), webhooks allowed to loopback and no global rate limit. Read the
 * exported bindings inside tests: they are set by `beforeAll`.
 */
export let testDb: TestDatabase;
export let sandbox: TextVerifiedSandbox;
export let app: TestApp;

export function useProviderApp(webhookSecret: string): void {
  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(6);
    sandbox = await startTextVerifiedSandbox({
      apiKey: 'tv-key',
      username: 'ops@namaskah.test',
      webhookSecret,
      smsDelayMs: 3_600_000,
    });
    sandbox.control.setStock('whatsapp', 1_000);
    const textVerified = createTextVerifiedClient({
      baseUrl: sandbox.url,
      apiKey: 'tv-key',
      username: 'ops@namaskah.test',
    });
    app = await createTestApp({
      database: testDb.database,
      providers: { textVerified },
      env: { ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true', RATE_LIMIT_GLOBAL_PER_MINUTE: '0' },
    });
    trustTestPrincipalHeader(app);
    await app.ready();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await sandbox?.close();
    await testDb?.dispose();
  });
}
