/**
 * Fault injection shared by the provider sandboxes: tests queue faults that hit the next matching
 * requests (an error answer, a dropped connection, an answer or connection held back), and closing
 * a sandbox releases whatever is still held so it shuts down at once. What each fault does to a
 * request is the sandbox's own (faults.ts beside its routes); the queue and the holds are here.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** What the queue matches on; each sandbox adds what its faults do. */
export interface QueuedFault {
  /** Upper-case method to match; any method when undefined. */
  method: string | undefined;
  /** Matching requests still to hit; a fault with none left never matches. */
  remaining: number;
  matches(path: string): boolean;
}

/** Faults in the order they were queued; the first match wins. */
export class FaultQueue<F extends QueuedFault> {
  private readonly faults: F[] = [];

  add(fault: F): void {
    this.faults.push(fault);
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The first fault that matches this request, counted as used (and dropped when used up). */
  take(method: string, path: string): F | undefined {
    const index = this.faults.findIndex(
      (f) => f.remaining > 0 && (f.method === undefined || f.method === method) && f.matches(path),
    );
    const fault = this.faults[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

/**
 * Timers that hold something back (an answer, a connection, a scheduled step). `releaseAll` ends
 * them early, so a sandbox with a hung request still closes promptly.
 */
export class Holds {
  private readonly entries = new Set<{ release: () => void }>();

  /** Resolves after `ms`, or as soon as `releaseAll` runs; `onRelease` runs first either way. */
  hold(ms: number, onRelease?: () => void): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        release: () => {
          clearTimeout(timer);
          this.entries.delete(entry);
          onRelease?.();
          resolve();
        },
      };
      const timer = setTimeout(() => entry.release(), ms);
      timer.unref();
      this.entries.add(entry);
    });
  }

  releaseAll(): void {
    for (const entry of [...this.entries]) entry.release();
  }
}

/** The request path without its query string. */
export const pathOf = (request: FastifyRequest): string => request.url.split('?')[0] ?? request.url;

/** Takes the request away from Fastify and destroys the socket: the client sees the connection drop. */
export function dropConnection(request: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  request.raw.socket.destroy();
}
