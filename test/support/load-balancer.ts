import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadBalancer {
  readonly url: string;
  /** The backend port each request went to, in order: proof that a flow crossed instances. */
  readonly served: number[];
  /** Points the balancer at these instances (round robin, one request each in turn). */
  setBackends(ports: readonly number[]): void;
  close(): Promise<void>;
}

/**
 * A round-robin HTTP balancer on loopback, as a load balancer in front of several Latchkey
 * instances would be: every request may land on another instance, so a flow only completes if
 * everything it needs lives in the shared stores. It is listening before the instances start,
 * because their issuer must name its address.
 */
export async function startLoadBalancer(): Promise<LoadBalancer> {
  let backends: readonly number[] = [];
  let next = 0;
  const served: number[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const port = backends[next % backends.length];
    next += 1;
    if (port === undefined) {
      outgoing.writeHead(503).end();
      return;
    }
    served.push(port);
    const upstream = forward({ host: '127.0.0.1', port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(outgoing);
    });
    upstream.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    setBackends(ports) {
      backends = ports;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
