import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobDefinition, Jobs } from '../../platform/jobs.js';
import { DELIVER_WEBHOOKS, defineWebhooksJobs } from './jobs.js';
import type { WebhooksService } from './service.js';

afterEach(() => {
  vi.useRealTimers();
});

/** The delivery job's handler, over a service with nothing to deliver. */
function deliveryHandler(deliverDue: () => Promise<number>): JobDefinition['handler'] {
  const defined = new Map<string, JobDefinition>();
  const jobs = { define: (definition: JobDefinition) => defined.set(definition.name, definition) };
  defineWebhooksJobs(jobs as unknown as Jobs, {
    logger: { info: () => undefined },
    webhooks: { deliverDue } as unknown as WebhooksService,
  });
  return defined.get(DELIVER_WEBHOOKS)!.handler;
}

describe('the webhook delivery job', () => {
  it('leaves no listener on the process-wide stop signal after a run of idle pauses', async () => {
    vi.useFakeTimers();
    const stopping = new AbortController();
    const deliverDue = vi.fn(async () => 0);
    const run = deliveryHandler(deliverDue)({}, { signal: stopping.signal });
    await vi.advanceTimersByTimeAsync(60_000);
    await run;
    // It kept looking for work the whole run (one look per idle second)...
    expect(deliverDue.mock.calls.length).toBeGreaterThan(30);
    // ...and every pause removed what it added to the signal the whole process shares.
    expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
  });

  it('ends a run at once when the process stops', async () => {
    const stopping = new AbortController();
    const run = deliveryHandler(async () => 0)({}, { signal: stopping.signal });
    setTimeout(() => stopping.abort(), 50);
    const started = Date.now();
    await run;
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
