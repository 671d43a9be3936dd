import type { Worker } from 'node:cluster';

import { AggregatorRegistry, Gauge, type Registry } from 'prom-client';

// The conversation of one scrape in a worker pool: the worker that got it asks the primary, the
// primary asks every listening worker for its metrics and answers with the sum of them all.
const SCRAPE = 'latchkey:metrics:scrape';
const COLLECT = 'latchkey:metrics:collect';
const COLLECTED = 'latchkey:metrics:collected';
const SCRAPED = 'latchkey:metrics:scraped';

// A worker has this long to send its metrics; one that is stuck or dying is left out, and the
// gauges say so. The worker that was scraped waits a little longer for the primary's answer
// (gathering plus adding up), then answers with its own metrics rather than not at all.
const COLLECT_TIMEOUT_MS = 2000;
const SCRAPE_TIMEOUT_MS = 3000;

/** A worker's metrics as prom-client gives them (`getMetricsAsJSON`), passed over IPC as JSON. */
type WorkerMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

type PoolMessage =
  | { readonly type: typeof SCRAPE; readonly id: number }
  | { readonly type: typeof COLLECT; readonly id: number }
  | { readonly type: typeof COLLECTED; readonly id: number; readonly metrics: WorkerMetrics | null }
  | { readonly type: typeof SCRAPED; readonly id: number; readonly text: string | null };

/** Reads an IPC message as one of ours; anything else (other features' messages) is not. */
function toPoolMessage(message: unknown): PoolMessage | undefined {
  if (typeof message !== 'object' || message === null || !('type' in message) || !('id' in message) || typeof message.id !== 'number') return undefined;
  const { type, id } = message;
  if (type === SCRAPE || type === COLLECT) return { type, id };
  if (type === COLLECTED && 'metrics' in message) return { type, id, metrics: Array.isArray(message.metrics) ? (message.metrics as WorkerMetrics) : null };
  if (type === SCRAPED && 'text' in message) return { type, id, text: typeof message.text === 'string' ? message.text : null };
  return undefined;
}

/**
 * The metrics of the workers that answered, added up the way each metric says (counters and
 * histograms summed bucket by bucket, the default metrics by their own aggregators), and two
 * gauges telling how many workers the pool runs and how many are in this answer.
 */
export async function renderPoolMetrics(perWorker: readonly WorkerMetrics[], workers: number): Promise<string> {
  const registry = AggregatorRegistry.aggregate([...perWorker]);
  new Gauge({ name: 'latchkey_pool_workers', help: 'Worker processes the pool runs (WEB_CONCURRENCY).', registers: [registry] }).set(workers);
  new Gauge({
    name: 'latchkey_pool_workers_answered',
    help: 'Workers whose metrics this scrape adds up; fewer than latchkey_pool_workers when some did not answer in time.',
    registers: [registry],
  }).set(perWorker.length);
  return registry.metrics();
}

/** A worker's end of the IPC channel to its primary. */
export interface PrimaryChannel {
  send(message: PoolMessage): void;
  /** Listens for the primary's messages; the function returned stops listening. */
  listen(listener: (message: unknown) => void): () => void;
}

/** The channel node:cluster gives a worker (its `process`), or undefined outside a pool. */
export function primaryChannel(worker: Pick<NodeJS.Process, 'send' | 'on' | 'off'>): PrimaryChannel | undefined {
  if (!worker.send) return undefined;
  return {
    send(message) {
      // A closed channel (the primary is gone) is reported here rather than as an 'error' event
      // on the process; the scrape then answers with this worker's metrics after its timeout.
      worker.send?.(message, undefined, {}, () => undefined);
    },
    listen(listener) {
      worker.on('message', listener);
      return () => {
        worker.off('message', listener);
      };
    },
  };
}

/** A worker's part: answers the primary's requests for its metrics, and scrapes the whole pool. */
export interface PoolMetricsLink {
  /** The whole pool's metrics in the text format (only this worker's if the primary is silent). */
  scrape(): Promise<string>;
  close(): void;
}

export function linkToPool(deps: { readonly channel: PrimaryChannel; readonly registry: Registry; readonly workers: number; readonly timeoutMs?: number }): PoolMetricsLink {
  const { channel, registry } = deps;
  const waiting = new Map<number, (text: string | null) => void>();
  let nextId = 0;
  const stop = channel.listen((raw) => {
    const message = toPoolMessage(raw);
    if (message?.type === COLLECT) {
      void registry.getMetricsAsJSON().then(
        (metrics) => channel.send({ type: COLLECTED, id: message.id, metrics }),
        () => channel.send({ type: COLLECTED, id: message.id, metrics: null }),
      );
    } else if (message?.type === SCRAPED) {
      waiting.get(message.id)?.(message.text);
    }
  });
  const ownOnly = async (): Promise<string> => renderPoolMetrics([await registry.getMetricsAsJSON()], deps.workers);
  return {
    async scrape() {
      const id = nextId++;
      const text = await new Promise<string | null>((resolve) => {
        const timer = setTimeout(() => answer(null), deps.timeoutMs ?? SCRAPE_TIMEOUT_MS);
        function answer(value: string | null): void {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(value);
        }
        waiting.set(id, answer);
        channel.send({ type: SCRAPE, id });
      });
      return text ?? ownOnly();
    },
    close() {
      stop();
      for (const answer of [...waiting.values()]) answer(null);
    },
  };
}

/** The primary's part: gathers every listening worker's metrics for the worker that was scraped. */
export interface PoolMetricsHub {
  /** Takes a worker's message if it is one of ours (true), else leaves it to the caller. */
  handle(worker: Worker, message: unknown): boolean;
  /** A worker that exited: its answer is not waited for any more. */
  forget(worker: Worker): void;
}

interface Gathering {
  readonly replies: WorkerMetrics[];
  readonly pending: Set<number>;
  finish(): void;
}

export function createPoolMetricsHub(deps: { readonly workers: () => readonly Worker[]; readonly size: number; readonly timeoutMs?: number }): PoolMetricsHub {
  const gatherings = new Map<number, Gathering>();
  let nextId = 0;
  const sendTo = (worker: Worker, message: PoolMessage): void => {
    // A worker that exits between being asked and being answered only loses this message.
    if (worker.isConnected()) worker.send(message, undefined, {}, () => undefined);
  };

  const gather = (requester: Worker, requestId: number): void => {
    const id = nextId++;
    const asked = deps.workers().filter((worker) => worker.isConnected());
    const replies: WorkerMetrics[] = [];
    const timer = setTimeout(() => gathering.finish(), deps.timeoutMs ?? COLLECT_TIMEOUT_MS);
    const gathering: Gathering = {
      replies,
      pending: new Set(asked.map((worker) => worker.id)),
      finish() {
        clearTimeout(timer);
        if (!gatherings.delete(id)) return;
        void renderPoolMetrics(replies, deps.size).then(
          (text) => sendTo(requester, { type: SCRAPED, id: requestId, text }),
          // Metrics that cannot be added up (workers of different versions in a rolling
          // restart, say): the worker answers with its own at once.
          () => sendTo(requester, { type: SCRAPED, id: requestId, text: null }),
        );
      },
    };
    gatherings.set(id, gathering);
    for (const worker of asked) sendTo(worker, { type: COLLECT, id });
    if (asked.length === 0) gathering.finish();
  };

  const settle = (gathering: Gathering, workerId: number): void => {
    if (gathering.pending.delete(workerId) && gathering.pending.size === 0) gathering.finish();
  };

  return {
    handle(worker, raw) {
      const message = toPoolMessage(raw);
      if (!message) return false;
      if (message.type === SCRAPE) gather(worker, message.id);
      if (message.type === COLLECTED) {
        const gathering = gatherings.get(message.id);
        // An answer after the timeout belongs to a scrape already answered.
        if (gathering?.pending.has(worker.id)) {
          if (message.metrics) gathering.replies.push(message.metrics);
          settle(gathering, worker.id);
        }
      }
      return true;
    },
    forget(worker) {
      for (const gathering of [...gatherings.values()]) settle(gathering, worker.id);
    },
  };
}
