import { randomUUID } from 'node:crypto';
import { benchApp, benchDatabase, fmt, percentile } from './support.js';

/**
 * Logins per second through the real app (HTTP via inject, argon2id verify, session + refresh
 * token rows, JWT signing) on PostgreSQL, from CONCURRENCY parallel callers. Users are created
 * up front (argon2 hashing included); every login comes from its own address so the per-IP
 * limits measure nothing here, and each account signs in at most 4 times.
 */
const USERS = Number(process.env.BENCH_USERS ?? 200);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 800);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const PASSWORD = 'bench passphrase that is long enough';

const { database, dispose } = await benchDatabase(20);
const app = await benchApp(database);
await app.ready();
try {
  const emails = Array.from({ length: USERS }, () => `bench-${randomUUID().slice(0, 12)}@example.test`);
  const t0 = performance.now();
  for (const email of emails) await app.services.accounts.createUser({ email, password: PASSWORD });
  console.log(
    `Registered ${USERS} users (argon2id hash each) in ${fmt((performance.now() - t0) / 1000, 2)} s`,
  );

  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < LOGINS) {
        const i = next++;
        const t = performance.now();
        const response = await app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          payload: { email: emails[i % USERS], password: PASSWORD },
        });
        latencies.push(performance.now() - t);
        if (response.statusCode !== 200) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `${LOGINS} logins (${CONCURRENCY} concurrent) in ${fmt(seconds, 2)} s → ${fmt(LOGINS / seconds, 0)} logins/s; ` +
      `latency p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms; failures ${failures}`,
  );
  if (failures > 0) process.exitCode = 1;
} finally {
  await app.close();
  await dispose();
}
