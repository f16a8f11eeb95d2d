/**
 * Scripted trouble on the Paystack API for tests: the next matching requests get an error status,
 * a refused connection, or an answer held back after the request took effect; every request is
 * logged. The queue and the holds are shared with the TextVerified sandbox (../faults.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FaultQueue, dropConnection, pathOf, type Holds, type QueuedFault } from '../faults.js';

export type FaultMode = 'error' | 'hang' | 'refuse';

export interface FaultRule {
  /** Path prefix, e.g. `/transaction/verify` or `/transaction/initialize`. */
  path: string;
  method?: string;
  /** How many matching requests to affect. Default 1. */
  times?: number;
  /**
   * `error`: answer `status` (default 500) without processing; `hang`: process, then hold the answer
   * back `hangMs` (default 30 s) — the effect happens but the client times out; `refuse`: destroy the
   * socket without processing.
   */
  mode?: FaultMode;
  status?: number;
  hangMs?: number;
}

export interface SandboxRequestRecord {
  method: string;
  path: string;
  at: string;
  fault: FaultMode | null;
}

interface ActiveFault extends QueuedFault {
  mode: FaultMode;
  status: number;
  hangMs: number;
}

export interface SandboxFaults {
  failNext(rule: FaultRule): void;
  clear(): void;
  requests(filter?: { path?: string; method?: string }): SandboxRequestRecord[];
  clearRequests(): void;
  /**
   * For `onRequest`: logs the request and applies a fault due on it. `answered` / `dropped` mean
   * the fault took the request, so nothing else may run. Control paths are neither logged nor faulted.
   */
  apply(request: FastifyRequest, reply: FastifyReply): 'answered' | 'dropped' | null;
}

/** `holds` also backs the sandbox's other delays, so closing releases them together. */
export function installFaults(app: FastifyInstance, holds: Holds): SandboxFaults {
  const faults = new FaultQueue<ActiveFault>();
  const requestLog: SandboxRequestRecord[] = [];
  const hangs = new WeakMap<FastifyRequest, number>();

  // A hang processes the request and holds the answer back: the effect happens, the client times out.
  app.addHook('onSend', async (request) => {
    const hangMs = hangs.get(request);
    if (hangMs !== undefined) await holds.hold(hangMs);
  });

  return {
    failNext(rule) {
      faults.add({
        method: rule.method?.toUpperCase(),
        remaining: rule.times ?? 1,
        matches: (path) => path.startsWith(rule.path),
        mode: rule.mode ?? 'error',
        status: rule.status ?? 500,
        hangMs: rule.hangMs ?? 30_000,
      });
    },
    clear: () => faults.clear(),
    requests(filter = {}) {
      return requestLog.filter(
        (r) =>
          (filter.path === undefined || r.path.startsWith(filter.path)) &&
          (filter.method === undefined || r.method === filter.method.toUpperCase()),
      );
    },
    clearRequests() {
      requestLog.length = 0;
    },
    apply(request, reply) {
      const path = pathOf(request);
      if (path.startsWith('/_control/') || path === '/_control') return null;
      const fault = faults.take(request.method, path);
      requestLog.push({
        method: request.method,
        path,
        at: new Date().toISOString(),
        fault: fault?.mode ?? null,
      });
      if (fault?.mode === 'refuse') {
        dropConnection(request, reply);
        return 'dropped';
      }
      if (fault?.mode === 'error') {
        void reply
          .code(fault.status)
          .send({ status: false, message: 'An error occurred while processing this request' });
        return 'answered';
      }
      if (fault?.mode === 'hang') hangs.set(request, fault.hangMs);
      return null;
    },
  };
}
