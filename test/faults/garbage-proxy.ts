import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a provider sandbox that, while `garbage` is on, lets matching requests
 * take effect upstream and then answers them with a broken body (200, truncated JSON): a provider
 * answering garbage.
 */
export interface GarbageProxy {
  url: string;
  garbage: boolean;
  close(): Promise<void>;
}

export async function startGarbageProxy(
  upstream: string,
  matches: (method: string, path: string) => boolean,
): Promise<GarbageProxy> {
  const proxy: GarbageProxy = { url: '', garbage: false, close: async () => undefined };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void forward(request, Buffer.concat(chunks))
        .then(async (answer) => {
          if (proxy.garbage && matches(request.method ?? 'GET', (request.url ?? '').split('?')[0]!)) {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end('{"id": "vrf_\u0000garb');
            return;
          }
          const headers: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection')
              headers[name] = value;
          });
          response.writeHead(answer.status, headers);
          response.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => response.destroy());
    });
  });
  const forward = (request: http.IncomingMessage, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'connection' && name !== 'content-length')
        headers[name] = value;
    }
    return fetch(`${upstream}${request.url ?? '/'}`, {
      method: request.method ?? 'GET',
      headers,
      body: body.length > 0 ? new Uint8Array(body) : null,
      redirect: 'manual',
    });
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
