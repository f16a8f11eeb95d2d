/**
 * Scripted trouble on the TextVerified API for tests: faults that hit the next matching requests
 * (an `Error` 500, a connection that never answers, a dropped socket; before or after the request
 * took effect), and the log of every API request. The queue and the holds are shared with the
 * Paystack sandbox (../faults.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FaultQueue, Holds, dropConnection, pathOf, type QueuedFault } from '../faults.js';
import { API } from './wire.js';

export type FaultMode = 'error' | 'hang' | 'drop';

export interface FaultSpec {
  /**
   * Request path to match: exact (`/api/pub/v2/verifications`), with `:param` / `*` segments
   * (`/api/pub/v2/verifications/:id`), or a trailing `/**`. A path not starting with `/` is taken
   * relative to `/api/pub/v2/`.
   */
  path: string;
  /** Only this method (default: any). */
  method?: string;
  /** `error` = 500 with an `Error` body, `hang` = never answer, `drop` = destroy the socket. */
  mode: FaultMode;
  /** How many matching requests fail (default 1). */
  count?: number;
  /** Fail only after the request took effect (e.g. the number was bought but the 201 is lost). */
  afterEffect?: boolean;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  url: string;
  idempotencyKey: string | null;
  at: Date;
}

export interface SandboxFaults {
  inject(fault: FaultSpec): void;
  clear(): void;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  /** Lets go of every held connection (the sandbox is closing). */
  releaseAll(): void;
}

type ActiveFault = FaultSpec & QueuedFault;

const matchPath = (segments: string[], path: string): boolean => {
  const parts = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg === '**') return true;
    const part = parts[i];
    if (part === undefined) return false;
    if (seg === '*' || seg?.startsWith(':')) continue;
    if (seg !== part) return false;
  }
  return parts.length === segments.length;
};

const injectedError = { errorCode: 'InternalServerError', errorDescription: 'Injected fault.' };

/** Adds the request log and the fault hooks to `/api/pub/v2/…` (not to the control API). */
export function installFaults(
  app: FastifyInstance,
  opts: { now: () => Date; hangMs: number },
): SandboxFaults {
  const faults = new FaultQueue<ActiveFault>();
  const requestLog: RequestLogEntry[] = [];
  const holds = new Holds();

  /** Holds a connection open until `hangMs` passes or the sandbox closes, then destroys it. */
  const hold = (request: FastifyRequest) => holds.hold(opts.hangMs, () => request.raw.socket.destroy());

  const faultKey = Symbol('fault');
  type Marked = FastifyRequest & { [faultKey]?: ActiveFault };

  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request);
    if (!path.startsWith(`${API}/`)) return;
    const key = request.headers['idempotency-key'];
    requestLog.push({
      method: request.method,
      path,
      url: request.url,
      idempotencyKey: typeof key === 'string' ? key : null,
      at: opts.now(),
    });
    const fault = faults.take(request.method, path);
    if (!fault) return;
    if (fault.afterEffect) {
      (request as Marked)[faultKey] = fault;
      return;
    }
    if (fault.mode === 'error') return reply.code(500).send(injectedError);
    if (fault.mode === 'drop') {
      dropConnection(request, reply);
    } else {
      reply.hijack();
      void hold(request);
    }
    return reply;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const fault = (request as Marked)[faultKey];
    if (!fault) return payload;
    if (fault.mode === 'error') {
      reply.code(500).header('content-type', 'application/json; charset=utf-8');
      reply.removeHeader('location');
      return JSON.stringify(injectedError);
    }
    if (fault.mode === 'drop') request.raw.socket.destroy();
    else await hold(request);
    return payload;
  });

  return {
    inject(fault) {
      const path = fault.path.startsWith('/') ? fault.path : `${API}/${fault.path}`;
      const segments = path.split('/');
      faults.add({
        ...fault,
        path,
        method: fault.method ? fault.method.toUpperCase() : undefined,
        remaining: fault.count ?? 1,
        matches: (p) => matchPath(segments, p),
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
