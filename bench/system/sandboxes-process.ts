/**
 * The sandboxes of a benchmark in a process of their own (the app must not share its CPU with
 * them, nor the benchmark's clients): TextVerified and Paystack on loopback, driven by the
 * benchmark through their HTTP control (`/_control/`). Settings come as JSON in
 * `BENCH_SANDBOXES`; the line `READY {"tv":…,"paystack":…}` on stdout says where they listen.
 */
import { startPaystackSandbox } from '../../src/sandbox/paystack/index.js';
import { startTextVerifiedSandbox } from '../../src/sandbox/textverified/index.js';

export interface SandboxSettings {
  tv: { apiKey: string; username: string; webhookSecret: string; webhookUrl: string };
  paystack: { secretKey: string; webhookUrl: string };
}

const settings = JSON.parse(process.env.BENCH_SANDBOXES ?? '{}') as SandboxSettings;
const tv = await startTextVerifiedSandbox({
  ...settings.tv,
  // What a deployment subscribes to in TextVerified's dashboard: the app reads only the SMS event
  // (the purchase has the number from its own read), so `v2.reservation.created` is not sent.
  webhookEvents: ['v2.sms.received'],
  // Orders stay active (their money held) unless the benchmark delivers an SMS itself.
  smsDelayMs: 3_600_000,
  maxUnfinished: 10_000_000,
  balanceCents: 1_000_000_000_000,
});
tv.control.setStock('whatsapp', 10_000_000);
const paystack = await startPaystackSandbox({
  secretKey: settings.paystack.secretKey,
  webhookUrl: settings.paystack.webhookUrl,
  // Retries that outlast a busy moment of the app (the reconciler is the backstop after that).
  webhookRetryDelaysMs: [500, 2_000, 5_000],
  webhookTimeoutMs: 15_000,
});
process.stdout.write(`READY ${JSON.stringify({ tv: tv.url, paystack: paystack.url })}\n`);

const stop = async () => {
  await Promise.allSettled([tv.close(), paystack.close()]);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// The benchmark closes our stdin when it ends (or dies): no orphan sandboxes.
process.stdin.on('end', () => void stop());
process.stdin.resume();
