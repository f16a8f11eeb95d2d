import { describe, expect, it } from 'vitest';
import type { JobDefinition, Jobs } from '../../platform/jobs.js';
import { VERIFICATION_JOBS, defineVerificationJobs } from './jobs.js';
import type { VerificationsService } from './service.js';

/** What defineVerificationJobs registers, and the service calls each job makes. */
function defined() {
  const definitions = new Map<string, JobDefinition>();
  const jobs = { define: (definition: JobDefinition) => void definitions.set(definition.name, definition) };
  const calls: string[] = [];
  const record = (name: string) => async () => {
    calls.push(name);
    return undefined as never;
  };
  const service = {
    pollActive: record('pollActive'),
    sweepExpired: record('sweepExpired'),
    reconcilePending: record('reconcilePending'),
    retryUpstreamActions: record('retryUpstreamActions'),
  };
  defineVerificationJobs(jobs as unknown as Jobs, {
    verifications: service as unknown as VerificationsService,
  });
  return { definitions, calls };
}

describe('verification jobs', () => {
  it('run every minute, each calling its use case', async () => {
    const { definitions, calls } = defined();
    expect([...definitions.keys()].sort()).toEqual(Object.values(VERIFICATION_JOBS).sort());
    for (const definition of definitions.values()) expect(definition.cron, definition.name).toBe('* * * * *');
    const signal = new AbortController().signal;
    await definitions.get(VERIFICATION_JOBS.sweep)!.handler({}, { signal });
    await definitions.get(VERIFICATION_JOBS.reconcile)!.handler({}, { signal });
    await definitions.get(VERIFICATION_JOBS.upstream)!.handler({}, { signal });
    expect(calls).toEqual(['sweepExpired', 'reconcilePending', 'retryUpstreamActions']);
    // The poller is never retried: the next minute's run polls again anyway.
    expect(definitions.get(VERIFICATION_JOBS.poll)!.retryLimit).toBe(0);
  });

  it('the poller polls until the process stops, then returns without polling again', async () => {
    const { definitions, calls } = defined();
    const stopping = new AbortController();
    const run = definitions.get(VERIFICATION_JOBS.poll)!.handler({}, { signal: stopping.signal });
    await expect.poll(() => calls.length).toBe(1);
    stopping.abort();
    await run;
    // Stopped while sleeping before its next poll: it returns without polling again.
    expect(calls).toEqual(['pollActive']);
  });
});
