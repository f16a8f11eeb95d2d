import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A small round-robin proxy in front of several app instances, as a layer-4 load balancer is (a
 * TCP-mode HAProxy, a cloud network load balancer): each client connection goes to the next
 * instance and bytes flow both ways untouched, so SSE passes through. The clients keep their
 * connections alive, so the requests spread as their connections do. Parsing HTTP here instead
 * cost the benchmark's process, on the same two cores as the instances, about as much CPU per
 * request as an instance spends.
 */
export interface RoundRobinProxy {
  url: string;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(upstreams: string[]): Promise<RoundRobinProxy> {
  const targets = upstreams.map((upstream) => new URL(upstream));
  const open = new Set<net.Socket>();
  let next = 0;
  const server = net.createServer((client) => {
    const target = targets[next++ % targets.length]!;
    const upstream = net.connect({ host: target.hostname, port: Number(target.port) });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    }
    // Either side failing or closing ends the pair: the client sees its connection drop, as it
    // would behind a balancer whose instance went away.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
