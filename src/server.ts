import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type Router from '@koa/router';
import Koa, { type Middleware } from 'koa';

import { createApp } from './app.js';
import { createFrontchannelLogoutPage } from './oidc/frontchannel-logout.js';
import { createMetricsRouter } from './http/metrics.js';
import type { Container } from './container.js';

/** A listening Latchkey and the one way to stop it cleanly. */
export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), then closes stores. */
  close(): Promise<void>;
}

/** Listens on host:port; rejects (rather than throwing later) when the address is taken. */
async function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** /metrics on a listener of its own (METRICS_LISTEN), e.g. an address only the scraper reaches. */
async function startMetricsListener(container: Container): Promise<Server | undefined> {
  const { listen: address, token } = container.config.metrics;
  if (!address) return undefined;
  const app = new Koa();
  app.silent = true;
  app.use(createMetricsRouter({ metrics: container.metrics, token }).routes());
  const handle = app.callback();
  const server = createServer((request, response) => {
    void handle(request, response);
  });
  await listen(server, address.port, address.host);
  container.logger.info({ host: address.host, port: address.port }, 'metrics listening');
  return server;
}

/** What some runs add to the app: the dev server's demo callback, tracing's span naming. */
export interface ServerExtras {
  readonly routes?: Router;
  readonly nameRequestSpan?: Middleware;
}

export async function startServer(container: Container, port: number = container.config.port, host?: string, extras: ServerExtras = {}): Promise<RunningServer> {
  let shuttingDown = false;
  const app = createApp({
    metrics: container.metrics,
    config: container.config,
    logger: container.logger,
    renderer: container.renderer,
    providerMiddleware: container.providerMiddleware,
    currentProvider: () => container.provider,
    interactions: container.interactions,
    passwordResetPages: container.passwordResetPages,
    accountPages: container.accountPages,
    homePage: container.homePage,
    pageScripts: container.pageScripts,
    admin: {
      get provider() {
        return container.provider;
      },
      loadClientRecord: (clientId) => container.loadClientRecord(clientId),
      clients: container.clients,
      resources: container.resources,
      accounts: container.accounts,
      audit: container.audit,
      auditStore: container.auditStore,
      issuer: container.config.issuer,
    },
    rateLimits: container.rateLimits,
    readinessChecks: container.readinessChecks,
    isShuttingDown: () => shuttingDown,
    frontchannelLogout: createFrontchannelLogoutPage({ renderer: container.renderer, currentProvider: () => container.provider, issuer: container.config.issuer }),
    ...(extras.routes ? { extraRoutes: extras.routes } : {}),
    ...(extras.nameRequestSpan ? { nameRequestSpan: extras.nameRequestSpan } : {}),
  });
  const handle = app.callback();
  const server = createServer((request, response) => {
    // A request that arrives on a kept-alive socket during shutdown is served, then its socket closed.
    if (shuttingDown) response.setHeader('Connection', 'close');
    void handle(request, response);
  });
  // Slightly above common load balancer idle timeouts, so the balancer closes idle sockets first.
  server.keepAliveTimeout = 65_000;
  await listen(server, port, host);
  const metricsServer = await startMetricsListener(container).catch(async (error: unknown) => {
    server.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const timeoutMs = container.config.shutdownTimeoutSeconds * 1000;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      // Sockets busy now become idle when their response ends; close them as they do, rather
      // than waiting out the keep-alive timeout.
      server.closeIdleConnections();
      const reaper = setInterval(() => server.closeIdleConnections(), 50);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      if ((await Promise.race([drained, deadline])) === 'timeout') {
        container.logger.warn({ timeoutMs }, 'in-flight requests did not finish in time; closing their connections');
        server.closeAllConnections();
      }
      clearTimeout(timer);
      clearInterval(reaper);
      if (metricsServer) {
        metricsServer.closeAllConnections();
        await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      }
      await container.close();
    })();
    return closing;
  };

  return { server, port: address.port, url: `http://127.0.0.1:${address.port}`, close };
}
