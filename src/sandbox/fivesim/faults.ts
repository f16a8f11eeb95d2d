/**
 * Scripted trouble on the 5sim API for tests: the next matching requests answer 500, `server
 * offline`, a non-JSON 200 (garbage), never answer, or drop the connection — before the request
 * took effect or after it. Also the log of every API request. The queue and the holds are shared
 * with the other sandboxes (../faults.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FaultQueue, Holds, dropConnection, pathOf, type QueuedFault } from '../faults.js';
import { API } from './wire.js';

export type FaultMode = 'error' | 'offline' | 'garbage' | 'hang' | 'drop';

export interface FaultSpec {
  /** Path prefix to match, e.g. `/v1/user/buy/` (a path not starting with `/` is under `/v1/`). */
  path: string;
  mode: FaultMode;
  /** How many matching requests fail (default 1). */
  count?: number;
  /** Fail only after the request took effect (the number was bought but the answer is lost). */
  afterEffect?: boolean;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  url: string;
  authorized: boolean;
  at: Date;
}

export interface SandboxFaults {
  inject(fault: FaultSpec): void;
  clear(): void;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  releaseAll(): void;
}

type ActiveFault = FaultSpec & QueuedFault;

/** What each mode answers instead of the real answer (undefined: the connection is held or dropped). */
function faultAnswer(mode: FaultMode): { status: number; body: string } | undefined {
  if (mode === 'error') return { status: 500, body: 'internal error' };
  if (mode === 'offline') return { status: 503, body: 'server offline' };
  if (mode === 'garbage') return { status: 200, body: '<html><body>Bad Gateway</body></html>' };
  return undefined;
}

export function installFaults(
  app: FastifyInstance,
  opts: { now: () => Date; hangMs: number; apiKey: string },
): SandboxFaults {
  const faults = new FaultQueue<ActiveFault>();
  const requestLog: RequestLogEntry[] = [];
  const holds = new Holds();
  const hold = (request: FastifyRequest) => holds.hold(opts.hangMs, () => request.raw.socket.destroy());
  const faultKey = Symbol('fault');
  type Marked = FastifyRequest & { [faultKey]?: ActiveFault };

  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request);
    if (!path.startsWith(`${API}/`)) return;
    requestLog.push({
      method: request.method,
      path,
      url: request.url,
      authorized: request.headers.authorization === `Bearer ${opts.apiKey}`,
      at: opts.now(),
    });
    const fault = faults.take(request.method, path);
    if (!fault) return;
    if (fault.afterEffect) {
      (request as Marked)[faultKey] = fault;
      return;
    }
    const answer = faultAnswer(fault.mode);
    if (answer) return reply.code(answer.status).type('text/plain; charset=utf-8').send(answer.body);
    if (fault.mode === 'drop') dropConnection(request, reply);
    else {
      reply.hijack();
      void hold(request);
    }
    return reply;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const fault = (request as Marked)[faultKey];
    if (!fault) return payload;
    const answer = faultAnswer(fault.mode);
    if (answer) {
      reply.code(answer.status).header('content-type', 'text/plain; charset=utf-8');
      return answer.body;
    }
    if (fault.mode === 'drop') request.raw.socket.destroy();
    else await hold(request);
    return payload;
  });

  return {
    inject(fault) {
      const path = fault.path.startsWith('/') ? fault.path : `${API}/${fault.path}`;
      faults.add({
        ...fault,
        path,
        method: undefined,
        remaining: fault.count ?? 1,
        matches: (p) => p.startsWith(path),
      });
    },
    clear: () => faults.clear(),
    requests: () => [...requestLog],
    clearRequests() {
      requestLog.length = 0;
    },
    releaseAll: () => holds.releaseAll(),
  };
}
