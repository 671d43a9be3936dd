import cluster from 'node:cluster';

import type { AppConfig } from './config/app-config.js';
import { createContainer } from './container.js';
import { printDevBanner } from './dev/print-dev-banner.js';
import { seedDemoClient, type DemoClient } from './clients/seed-demo-client.js';
import { createDevRelyingParty, type DevRelyingParty } from './dev/dev-callback.js';
import { seedDemoUser, type DemoUser } from './dev/seed-demo-user.js';
import { KeySetError } from './keys/key-set.js';
import { createLogger } from './logging/create-logger.js';
import { startServer } from './server.js';
import { errorMessage } from './logging/error-message.js';
import type { Tracing } from './tracing/start-tracing.js';
import { WORKER_LISTENING } from './worker-pool.js';

// Spans still buffered at shutdown get this long: the forced exit comes 5 s after the drain's
// own timeout, and a collector that does not answer must not be what trips it.
const TRACE_FLUSH_TIMEOUT_MS = 3000;

export interface ServerRun {
  readonly config: AppConfig;
  readonly dev: boolean;
  /** Where development keeps its generated secrets, to say so once started. */
  readonly devSecretsFile: string | undefined;
  readonly tracing: Tracing | undefined;
}

/**
 * A serving process (the only one, or a worker of the pool): builds the container, listens, and
 * drains on SIGTERM/SIGINT. Throws an Error whose message is the one-line reason it cannot start.
 */
export async function runServer({ config, dev, devSecretsFile, tracing }: ServerRun): Promise<void> {
  const logger = cluster.isWorker ? createLogger(config.logLevel).child({ worker: cluster.worker?.id }) : createLogger(config.logLevel);
  let container;
  try {
    container = await createContainer(config, logger);
  } catch (error) {
    if (error instanceof KeySetError) throw new Error(`signing keys: ${error.message}`);
    throw new Error(`cannot start: ${errorMessage(error)}`);
  }

  if (config.mode !== 'production') {
    for (const [what, generated] of [['COOKIE_KEYS', config.cookieKeys.generated], ['DATA_ENCRYPTION_KEY', config.dataEncryptionKeys.generated]] as const) {
      if (generated) logger.warn({ variable: what }, `${what} is not set; using a generated value that changes on every start`);
    }
    if (devSecretsFile) logger.info({ file: devSecretsFile }, 'development COOKIE_KEYS and DATA_ENCRYPTION_KEY kept in this file (mode 0600); the CLI run from here uses them too');
  }

  let devRelyingParty: DevRelyingParty | undefined;
  let demo: { client: DemoClient; user: DemoUser } | undefined;
  if (dev) {
    const client = await seedDemoClient(container.adapter, config.issuer);
    const user = await seedDemoUser(container.accounts);
    demo = { client, user };
    devRelyingParty = createDevRelyingParty({ issuer: config.issuer, client, renderer: container.renderer });
  }

  const running = await startServer(container, config.port, undefined, {
    ...(devRelyingParty ? { routes: devRelyingParty.router } : {}),
    ...(tracing ? { nameRequestSpan: tracing.nameRequestSpan } : {}),
  });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    // A terminal's Ctrl-C reaches the workers and their primary, which asks them too.
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // If anything still holds the event loop after the stores are closed, that is a leak worth
    // hearing about rather than a reason to hang the deploy.
    setTimeout(() => {
      logger.error('process did not exit after shutdown; forcing exit');
      process.exit(1);
    }, (config.shutdownTimeoutSeconds + 5) * 1000).unref();
    running.close().then(
      async () => {
        // After the stores close, so that the spans of the last requests and of closing go too.
        await tracing?.shutdown(TRACE_FLUSH_TIMEOUT_MS).catch((error: unknown) => {
          logger.warn({ err: { message: errorMessage(error) } }, 'spans not flushed');
        });
        logger.info('stopped');
        process.exitCode = 0;
        // A worker's channel to its primary would keep the process alive.
        if (cluster.isWorker) process.disconnect();
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Keys are re-read every refresh period; SIGHUP re-reads them now (after `latchkey keys rotate`).
  process.on('SIGHUP', () => {
    container.reloadKeys().catch((error: unknown) => {
      logger.error({ err: { message: errorMessage(error) } }, 'signing keys not reloaded; keeping the current ones');
    });
  });
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  // Announced only once the signal handlers are in place: a SIGTERM right after this line
  // must drain the server, not kill the process.
  logger.info({ port: running.port, issuer: config.issuer, storage: container.storage, mode: config.mode, tracing: tracing !== undefined }, 'latchkey listening');
  if (cluster.isWorker) process.send?.(WORKER_LISTENING);
  if (demo && devRelyingParty) {
    await printDevBanner({ issuer: config.issuer, storage: container.storage, demoClient: demo.client, demoUser: demo.user, authorizationUrl: devRelyingParty.authorizationUrl });
  }
}
