import { randomUUID } from 'node:crypto';
import { defineAccountsJobs } from '../src/modules/accounts/index.js';
import { Jobs } from '../src/platform/jobs.js';
import { createLogger } from '../src/platform/logger.js';
import { createMailer } from '../src/platform/mail/mailer.js';
import { startSmtpCatcher } from '../src/sandbox/smtp/catcher.js';
import { solveCaptcha } from '../test/support/captcha.js';
import { benchApp, benchDatabase, fmt, percentile } from './support.js';

/**
 * Account enumeration by timing (SPEC §5): register with a taken vs a free address, and
 * password-forgot with a known vs an unknown address, through the real app on PostgreSQL with
 * the job queue working and mail going to an SMTP catcher (as in production, a worker sends it).
 * Captchas are solved before the clock starts; the cases are interleaved in a random order each
 * round so drift and the worker's own work hit them alike.
 * Prints the median (and p90) of each case and the ratio of each pair.
 */
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const PASSWORD = 'bench passphrase that is long enough';

const { database, dispose } = await benchDatabase(10);
const catcher = await startSmtpCatcher();
const logger = createLogger('silent');
const mailer = createMailer({ smtpUrl: catcher.smtpUrl, from: 'Namaskah <no-reply@namaskah.test>' });
const jobs = new Jobs(database.sql, logger);
const app = await benchApp(database, { providers: { mailer }, jobs });
defineAccountsJobs(jobs, { logger, accounts: app.services.accounts });
await jobs.start();
await jobs.work();
await app.ready();

let ipCounter = 0;
const nextIp = () => {
  const i = ++ipCounter;
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
};

try {
  const known = Array.from({ length: SAMPLES }, () => `known-${randomUUID().slice(0, 12)}@example.test`);
  for (const email of known) await app.services.accounts.createUser({ email, password: PASSWORD });

  type Case = 'register taken' | 'register free' | 'forgot known' | 'forgot unknown';
  const cases: Case[] = ['register taken', 'register free', 'forgot known', 'forgot unknown'];
  const latencies = new Map<Case, number[]>(cases.map((c) => [c, []]));
  const statuses = new Set<string>();

  // A warm-up round of each, not measured (first-use costs: argon2 dummy, prepared queries).
  for (let i = -2; i < SAMPLES; i++) {
    // A new order each round: the queue's worker sending the previous request's mail in this
    // process must not always land on the same case.
    const round = [...cases].sort(() => Math.random() - 0.5);
    for (const name of round) {
      const ip = nextIp();
      const captcha = await solveCaptcha(app, ip);
      const address = i < 0 ? `warm-${randomUUID().slice(0, 8)}@example.test` : known[i]!;
      const fresh = `new-${randomUUID().slice(0, 12)}@example.test`;
      const [url, payload] =
        name === 'register taken'
          ? ['/api/v1/auth/register', { email: address, password: PASSWORD, captcha }]
          : name === 'register free'
            ? ['/api/v1/auth/register', { email: fresh, password: PASSWORD, captcha }]
            : name === 'forgot known'
              ? ['/api/v1/auth/password/forgot', { email: address, captcha }]
              : ['/api/v1/auth/password/forgot', { email: fresh, captcha }];
      const t = performance.now();
      const response = await app.inject({ method: 'POST', url, remoteAddress: ip, payload });
      const elapsed = performance.now() - t;
      statuses.add(`${name}: ${response.statusCode}`);
      if (i >= 0) latencies.get(name)!.push(elapsed);
    }
  }

  const median = (name: Case) => percentile(latencies.get(name)!, 50);
  for (const name of cases) {
    const sorted = latencies.get(name)!.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(15)} median ${fmt(percentile(sorted, 50), 2)} ms, p90 ${fmt(percentile(sorted, 90), 2)} ms (${sorted.length} requests)`,
    );
  }
  console.log(
    `register taken/free median ratio ${fmt(median('register taken') / median('register free'), 2)}; ` +
      `forgot unknown/known median ratio ${fmt(median('forgot unknown') / median('forgot known'), 2)}`,
  );
  console.log(`answers: ${[...statuses].sort().join(', ')}`);
  if ([...statuses].some((s) => !s.endsWith(': 202'))) process.exitCode = 1;
} finally {
  await app.close();
  await jobs.stop();
  mailer.close();
  await catcher.close();
  await dispose();
}
