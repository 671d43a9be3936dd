import cluster, { type Worker } from 'node:cluster';

import { createPoolMetricsHub } from './http/pool-metrics.js';
import type { Logger } from './logging/create-logger.js';

// A worker that exits this often within a minute is failing, not unlucky: stop rather than loop.
const MAX_RESTARTS_PER_MINUTE = 5;

/** What a worker tells the primary once its server listens. */
export const WORKER_LISTENING = 'latchkey:listening';

/**
 * The primary process of WEB_CONCURRENCY > 1: forks the workers, one and then the rest once it
 * listens (each a whole Latchkey sharing the port through node:cluster), replaces one that dies,
 * passes SIGHUP on (re-read the signing keys), gathers the workers' metrics for a scrape of
 * /metrics, and on SIGTERM/SIGINT asks every worker to drain and exits when all have. A worker
 * that exits before it ever listened (bad settings, a store it cannot reach) stops the whole pool:
 * its own message on stderr says why, and restarting would only repeat it.
 */
export function runWorkerPool(deps: { readonly count: number; readonly logger: Logger; readonly shutdownTimeoutSeconds: number }): void {
  const { logger } = deps;
  const listening = new Set<number>();
  const restarts: number[] = [];
  let stopping = false;
  let othersStarted = false;
  let exitCode = 0;

  const workers = (): Worker[] => Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
  // A scrape of /metrics lands on one worker, which asks here for the metrics of all that listen.
  const metrics = createPoolMetricsHub({ workers: () => workers().filter((worker) => listening.has(worker.id)), size: deps.count });
  const fork = (): void => {
    const worker = cluster.fork();
    worker.on('message', (message: unknown) => {
      if (metrics.handle(worker, message)) return;
      if (message !== WORKER_LISTENING) return;
      listening.add(worker.id);
      // The first worker up has checked the settings, the stores and the keys: now the rest,
      // unless a SIGTERM came first (a worker forked now would never be told to stop).
      if (!othersStarted && !stopping) {
        othersStarted = true;
        for (let index = 1; index < deps.count; index += 1) fork();
      }
      if (listening.size === deps.count && restarts.length === 0) logger.info({ workers: deps.count }, 'all workers listening');
    });
  };

  const stop = (reason: string, code: number): void => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.info({ reason, workers: workers().length }, 'stopping workers');
    for (const worker of workers()) worker.process.kill('SIGTERM');
    // Workers drain within the shutdown timeout; one that does not is killed.
    setTimeout(() => {
      for (const worker of workers()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, (deps.shutdownTimeoutSeconds + 10) * 1000).unref();
    if (workers().length === 0) process.exit(exitCode);
  };

  cluster.on('exit', (worker, code, signal) => {
    const wasListening = listening.delete(worker.id);
    metrics.forget(worker);
    if (stopping) {
      if (workers().length === 0) {
        logger.info('stopped');
        process.exit(exitCode);
      }
      return;
    }
    if (!wasListening) {
      logger.error({ worker: worker.id, code, signal }, 'a worker could not start; stopping');
      stop('a worker could not start', 1);
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && (restarts[0] ?? now) < now - 60_000) restarts.shift();
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      logger.error({ restarts: restarts.length }, 'workers keep exiting; stopping');
      stop('workers keep exiting', 1);
      return;
    }
    logger.error({ worker: worker.id, code, signal }, 'worker exited; starting another');
    fork();
  });

  process.on('SIGHUP', () => {
    for (const worker of workers()) worker.process.kill('SIGHUP');
  });
  process.once('SIGTERM', () => stop('SIGTERM', 0));
  process.once('SIGINT', () => stop('SIGINT', 0));

  logger.info({ workers: deps.count }, 'starting workers');
  // One first: a setting or a store that is wrong is then reported once, by that worker, and
  // a first start on an empty database sets the signing keys up without the others waiting.
  fork();
}
