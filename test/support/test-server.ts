import type { AppConfig } from '../../src/config/app-config.js';
import { createContainer, type Container } from '../../src/container.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { startLoadBalancer, type LoadBalancer } from './load-balancer.js';
import { createCapturingLogger, createTestConfig, findFreePort, makeTempDir } from './test-env.js';

export interface TestServer {
  readonly url: string;
  readonly container: Container;
  readonly running: RunningServer;
  readonly logLines: () => string[];
  stop(): Promise<void>;
}

export interface TestContainer {
  readonly container: Container;
  readonly port: number;
  readonly logLines: () => string[];
  removeKeys(): Promise<void>;
}

/** A container with its own keys, Redis prefix and database, for a server on `port`. */
export interface TestServerOptions {
  readonly memory?: boolean;
  /** Environment variables on top of the test defaults, read through loadConfig like a real start. */
  readonly env?: Readonly<Record<string, string>>;
  /** Adjusts the config before the container is built (tighter limits, other TTLs). */
  readonly configure?: (config: AppConfig) => AppConfig;
}

export async function createTestContainer(options: TestServerOptions = {}): Promise<TestContainer> {
  const keys = await makeTempDir();
  const port = await findFreePort();
  const base = createTestConfig({ keysDir: keys.path, port, memory: options.memory ?? false, ...(options.env ? { env: options.env } : {}) });
  const config = options.configure ? options.configure(base) : base;
  const { logger, lines } = createCapturingLogger();
  const container = await createContainer(config, logger);
  return { container, port, logLines: lines, removeKeys: keys.remove };
}

/** Latchkey on an ephemeral loopback port, with its own keys, Redis prefix and database. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { container, port, logLines, removeKeys } = await createTestContainer(options);
  const running = await startServer(container, port, '127.0.0.1');
  return {
    url: container.config.issuer,
    container,
    running,
    logLines,
    async stop() {
      await running.close();
      await removeKeys();
    },
  };
}

export interface TestCluster {
  /** The balancer's address, which is also every instance's issuer. */
  readonly url: string;
  readonly balancer: LoadBalancer;
  readonly containers: readonly Container[];
  /** Each instance's own address, for requests that must reach one instance in particular. */
  readonly instanceUrls: readonly string[];
  stop(): Promise<void>;
}

/**
 * Several Latchkey instances on the same Redis, MongoDB, keys and cookie keys behind a
 * round-robin balancer: what an operator runs, so a flow passes only if no step needs the
 * instance that served the one before.
 */
export async function startTestCluster(options: { readonly instances: number } & TestServerOptions): Promise<TestCluster> {
  const balancer = await startLoadBalancer();
  const keys = await makeTempDir();
  const base = createTestConfig({ keysDir: keys.path, port: 0, memory: options.memory ?? false, ...(options.env ? { env: options.env } : {}) });
  const shared = { ...base, issuer: balancer.url };
  const config = options.configure ? options.configure(shared) : shared;
  const containers: Container[] = [];
  const running: RunningServer[] = [];
  // One after the other: the first generates the development keys the others then load.
  for (let index = 0; index < options.instances; index += 1) {
    const container = await createContainer(config, createCapturingLogger().logger);
    containers.push(container);
    running.push(await startServer(container, 0, '127.0.0.1'));
  }
  balancer.setBackends(running.map((server) => server.port));
  return {
    url: balancer.url,
    balancer,
    containers,
    instanceUrls: running.map((server) => server.url),
    async stop() {
      await balancer.close();
      for (const server of running) await server.close();
      await keys.remove();
    },
  };
}
