import { randomBytes } from 'node:crypto';
import { startFiveSimSandbox } from './fivesim/index.js';
import { startPaystackSandbox } from './paystack/index.js';
import { type SmtpCatcher, startSmtpCatcher } from './smtp/catcher.js';
import { startTextVerifiedSandbox } from './textverified/index.js';

/** What the sandboxes need to know about the app they serve (a subset of its config). */
export interface EmbeddingApp {
  /** Where the app's webhook endpoints are reached, e.g. `http://localhost:3000`. */
  publicUrl: string;
  sandboxSmsDelayMs: number;
  /** The client's assumed reuse window: the sandbox re-sells numbers for just as long. */
  fiveSim: { reuseWindowMs: number };
}

/** Settings in the shape of the app's config, so they can be spread over it. */
export interface EmbeddedSandboxSettings {
  textVerified: { baseUrl: string; apiKey: string; username: string; webhookSecret: string };
  fiveSim: { baseUrl: string; apiKey: string; centsPerUnit: number; reuseWindowMs: number };
  paystack: { baseUrl: string; secretKey: string; publicKey: string };
  smtpUrl: string;
}

export interface EmbeddedSandboxes {
  /** The settings that point the real clients at the in-process sandboxes. */
  settings: EmbeddedSandboxSettings;
  smtp: SmtpCatcher;
  close(): Promise<void>;
}

/**
 * The embedded default needs no outside service: TextVerified, 5sim, Paystack and an SMTP catcher run
 * in this process, on loopback, and the real HTTP/SMTP clients talk to them.
 */
export async function startEmbeddedSandboxes(config: EmbeddingApp): Promise<EmbeddedSandboxes> {
  const secret = () => randomBytes(16).toString('hex');
  const textVerified = {
    apiKey: secret(),
    username: 'sandbox@namaskah.local',
    webhookSecret: `whsec_${secret()}`,
  };
  const paystackSecret = `sk_test_${secret()}`;

  const tv = await startTextVerifiedSandbox({
    ...textVerified,
    webhookUrl: `${config.publicUrl}/api/v1/hooks/textverified`,
    // Subscribed as docs/deploy.md says a deployment should be: the app reads no other event.
    webhookEvents: ['v2.sms.received'],
    smsDelayMs: config.sandboxSmsDelayMs,
  });
  const fiveSimKey = `eyJ.sandbox.${secret()}`;
  const { reuseWindowMs } = config.fiveSim;
  const fiveSim = await startFiveSimSandbox({
    apiKey: fiveSimKey,
    smsDelayMs: config.sandboxSmsDelayMs,
    reuseWindowMs,
  });
  const paystack = await startPaystackSandbox({
    secretKey: paystackSecret,
    webhookUrl: `${config.publicUrl}/api/v1/hooks/paystack`,
  });
  const smtp = await startSmtpCatcher({});
  return {
    settings: {
      textVerified: { baseUrl: tv.url, ...textVerified },
      fiveSim: { baseUrl: fiveSim.url, apiKey: fiveSimKey, centsPerUnit: 100, reuseWindowMs },
      paystack: { baseUrl: paystack.url, secretKey: paystackSecret, publicKey: `pk_test_${secret()}` },
      smtpUrl: smtp.smtpUrl,
    },
    smtp,
    close: async () => {
      await Promise.allSettled([tv.close(), fiveSim.close(), paystack.close(), smtp.close()]);
    },
  };
}
