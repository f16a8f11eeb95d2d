/**
 * The HTTP call of the provider clients (TextVerified, 5sim): undici's `request` on one keep-alive
 * agent. The global `fetch` was a measured cost on the purchase path (web streams, a cloned
 * request and its body tee per call, abort-signal plumbing) for nothing these clients use.
 */
import { Agent, request } from 'undici';

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | undefined;
  /** Aborts the call (the upstream policy's timeout). */
  signal: AbortSignal;
}

export interface UpstreamAnswer {
  status: number;
  /** A response header, lower-case name; the first value when repeated. */
  header(name: string): string | null;
  text: string;
}

/** How a client sends one request; tests wrap the default to watch calls. */
export type UpstreamSend = (url: string, init: UpstreamRequest) => Promise<UpstreamAnswer>;

const agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 });

/** Sends one request; redirects are answered as they are (the clients treat 3xx as errors). */
export const upstreamSend: UpstreamSend = async (url, init) => {
  const response = await request(url, {
    method: init.method,
    headers: init.headers,
    body: init.body,
    signal: init.signal,
    dispatcher: agent,
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    header(name) {
      const value = response.headers[name.toLowerCase()];
      return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
    },
    text,
  };
};
