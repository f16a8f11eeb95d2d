/** Background work of webhooks: the delivery loop and the disabled-endpoint e-mail. */
import type { Jobs } from '../../platform/jobs.js';
import type { Logger } from '../../platform/logger.js';
import { type EndpointDisabledMail, SEND_WEBHOOK_DISABLED_MAIL } from './delivery.js';
import type { WebhooksService } from './service.js';

export const DELIVER_WEBHOOKS = 'webhooks.deliver';

/** The schedule starts one run a minute; a run keeps claiming due deliveries for most of it. */
const RUN_MS = 55_000;
const IDLE_PAUSE_MS = 1_000;

export interface WebhooksJobsDeps {
  logger: Pick<Logger, 'info'>;
  webhooks: WebhooksService;
}

export function defineWebhooksJobs(jobs: Jobs, deps: WebhooksJobsDeps): void {
  const { webhooks } = deps;
  jobs.define({
    name: DELIVER_WEBHOOKS,
    cron: '* * * * *',
    // A run that dies leaves its claims to expire; the next run takes them again.
    retryLimit: 0,
    handler: async (_data, { signal }) => {
      const until = Date.now() + RUN_MS;
      let sent = 0;
      while (!signal.aborted && Date.now() < until) {
        const claimed = await webhooks.deliverDue();
        sent += claimed;
        if (claimed === 0) await pause(IDLE_PAUSE_MS, signal);
      }
      if (sent > 0) deps.logger.info({ sent }, 'webhook deliveries attempted');
    },
  });
  jobs.define<EndpointDisabledMail>({
    name: SEND_WEBHOOK_DISABLED_MAIL,
    retryLimit: 5,
    handler: (mail) => webhooks.sendDisabledMail(mail),
  });
}

/**
 * Waits `ms`, or less if the process stops. The signal is the process's own, shared by every job
 * run: a pause must leave no listener on it when it ends (one per idle second would pile up).
 */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
