import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

export interface Stream {
  events: { event: string; data: unknown }[];
  /** 'closed' when the server ended the stream, 'still open' when the deadline passed first. */
  ended: Promise<'closed' | 'still open'>;
}

/**
 * Opens a verification's `GET /events` over real HTTP (as a browser or script would) on a listening
 * app and waits for its first frame. "Within a few seconds" on a busy machine: the stream is given
 * 12 s to be ended by the server (the access check runs every ~2 s).
 */
export async function openStream(
  app: FastifyInstance,
  verificationId: string,
  authorization: string,
): Promise<Stream> {
  const { port } = app.server.address() as { port: number };
  const controller = new AbortController();
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/verifications/${verificationId}/events`, {
    headers: { authorization },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: Stream['events'] = [];
  let buffer = '';
  let first: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (first = resolve));
  const ended = (async (): Promise<'closed' | 'still open'> => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'closed';
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          if (event === 'status') first();
        }
      }
    } catch {
      return 'still open';
    }
  })();
  await connected;
  const deadline = setTimeout(() => controller.abort(), 12_000);
  return { events, ended: ended.finally(() => clearTimeout(deadline)) };
}
