import type { Worker } from 'node:cluster';

import type { Context, Next } from 'koa';

import { createMetrics, type Metrics } from '../../../src/http/metrics.js';
import { createPoolMetricsHub, linkToPool, renderPoolMetrics, type PoolMetricsHub, type PoolMetricsLink, type PrimaryChannel } from '../../../src/http/pool-metrics.js';

const audit = {
  stats: () => ({ buffered: 0, written: 0, spooled: 0, dropped: 0, byType: new Map<string, number>() }),
  spoolLength: async () => 7,
};

/** Runs requests through the metrics middleware as Koa would, taking `seconds` each. */
async function serve(metrics: Metrics, path: string, status: number, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    const ctx = { path, status } as unknown as Context;
    await metrics.middleware(ctx, (async () => undefined) as Next);
  }
}

function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('renderPoolMetrics', () => {
  it('adds the workers up: request counters, histogram buckets, _sum and _count each with their own', async () => {
    const first = createMetrics({ audit });
    const second = createMetrics({ audit });
    await serve(first, '/token', 200, 3);
    await serve(second, '/token', 200, 4);
    await serve(second, '/jwks', 404, 2);
    const separate = await Promise.all([first.registry.metrics(), second.registry.metrics()]);
    const text = await renderPoolMetrics(await Promise.all([first.registry.getMetricsAsJSON(), second.registry.getMetricsAsJSON()]), 2);

    expect(valueOf(text, 'latchkey_http_requests_total{route="token",status="2xx"}')).toBe(7);
    expect(valueOf(text, 'latchkey_http_requests_total{route="jwks",status="4xx"}')).toBe(2);
    expect(valueOf(text, 'latchkey_http_request_duration_seconds_count{route="token",status="2xx"}')).toBe(7);
    expect(valueOf(text, 'latchkey_http_request_duration_seconds_bucket{le="+Inf",route="token",status="2xx"}')).toBe(7);
    const sums = separate.map((one) => valueOf(one, 'latchkey_http_request_duration_seconds_sum{route="token",status="2xx"}') ?? NaN);
    expect(valueOf(text, 'latchkey_http_request_duration_seconds_sum{route="token",status="2xx"}')).toBeCloseTo((sums[0] ?? NaN) + (sums[1] ?? NaN), 9);
    for (const le of ['0.002', '0.005', '1']) {
      const each = separate.map((one) => valueOf(one, `latchkey_http_request_duration_seconds_bucket{le="${le}",route="token",status="2xx"}`) ?? NaN);
      expect(valueOf(text, `latchkey_http_request_duration_seconds_bucket{le="${le}",route="token",status="2xx"}`)).toBe((each[0] ?? NaN) + (each[1] ?? NaN));
    }
    // One spool in Redis, read by both: not counted twice.
    expect(valueOf(text, 'latchkey_audit_spool_length')).toBe(7);
    expect(text).toMatch(/^process_cpu_user_seconds_total [\d.e-]+$/m);
    expect(valueOf(text, 'latchkey_pool_workers')).toBe(2);
    expect(valueOf(text, 'latchkey_pool_workers_answered')).toBe(2);
  });
});

interface FakeWorker {
  readonly worker: Worker;
  readonly metrics: Metrics;
  readonly link: PoolMetricsLink;
  connected: boolean;
  /** A stuck worker takes its messages but never answers. */
  stuck: boolean;
}

/** A primary and its workers in one process, their IPC messages passed on a later turn as node:cluster does. */
function createFakePool(count: number, options: { hubTimeoutMs?: number; linkTimeoutMs?: number } = {}): { hub: PoolMetricsHub; workers: FakeWorker[]; primarySilent: { value: boolean } } {
  const primarySilent = { value: false };
  const workers: FakeWorker[] = [];
  const hub = createPoolMetricsHub({ workers: () => workers.filter((one) => one.connected).map((one) => one.worker), size: count, ...(options.hubTimeoutMs ? { timeoutMs: options.hubTimeoutMs } : {}) });
  for (let id = 1; id <= count; id += 1) {
    let listener: ((message: unknown) => void) | undefined;
    const fake = { connected: true, stuck: false } as FakeWorker;
    const worker = {
      id,
      isConnected: () => fake.connected,
      send(message: unknown) {
        setImmediate(() => {
          if (!fake.stuck) listener?.(JSON.parse(JSON.stringify(message)));
        });
        return true;
      },
    } as unknown as Worker;
    const channel: PrimaryChannel = {
      send(message) {
        setImmediate(() => {
          if (!primarySilent.value && fake.connected) hub.handle(worker, JSON.parse(JSON.stringify(message)));
        });
      },
      listen(next) {
        listener = next;
        return () => {
          listener = undefined;
        };
      },
    };
    const metrics = createMetrics({ audit });
    Object.assign(fake, { worker, metrics, link: linkToPool({ channel, registry: metrics.registry, workers: count, ...(options.linkTimeoutMs ? { timeoutMs: options.linkTimeoutMs } : {}) }) });
    workers.push(fake);
  }
  return { hub, workers, primarySilent };
}

describe('a scrape in a worker pool', () => {
  it('answers for every worker, whichever one was scraped', async () => {
    const { workers } = createFakePool(3);
    for (const [index, fake] of workers.entries()) await serve(fake.metrics, '/token', 200, index + 1);
    for (const fake of workers) {
      const text = await fake.link.scrape();
      expect(valueOf(text, 'latchkey_http_requests_total{route="token",status="2xx"}')).toBe(6);
      expect(valueOf(text, 'latchkey_pool_workers_answered')).toBe(3);
    }
    for (const fake of workers) fake.link.close();
  });

  it('leaves out a worker that does not answer in time, and says so', async () => {
    const { workers } = createFakePool(2, { hubTimeoutMs: 200 });
    const [first, second] = workers as [FakeWorker, FakeWorker];
    await serve(first.metrics, '/token', 200, 2);
    await serve(second.metrics, '/token', 200, 5);
    second.stuck = true;
    const started = Date.now();
    const text = await first.link.scrape();
    expect(Date.now() - started).toBeLessThan(1500);
    expect(valueOf(text, 'latchkey_http_requests_total{route="token",status="2xx"}')).toBe(2);
    expect(valueOf(text, 'latchkey_pool_workers')).toBe(2);
    expect(valueOf(text, 'latchkey_pool_workers_answered')).toBe(1);
    for (const fake of workers) fake.link.close();
  });

  it('stops waiting for a worker as soon as it exits', async () => {
    const { hub, workers } = createFakePool(2, { hubTimeoutMs: 10_000 });
    const [first, second] = workers as [FakeWorker, FakeWorker];
    second.stuck = true;
    const scraped = first.link.scrape();
    await new Promise((resolve) => setTimeout(resolve, 50));
    second.connected = false;
    hub.forget(second.worker);
    const text = await scraped;
    expect(valueOf(text, 'latchkey_pool_workers_answered')).toBe(1);
    for (const fake of workers) fake.link.close();
  });

  it('answers with the scraped worker\'s own metrics when the primary is silent', async () => {
    const { workers, primarySilent } = createFakePool(2, { linkTimeoutMs: 200 });
    const [first] = workers as [FakeWorker, FakeWorker];
    await serve(first.metrics, '/jwks', 200, 3);
    primarySilent.value = true;
    const text = await first.link.scrape();
    expect(valueOf(text, 'latchkey_http_requests_total{route="jwks",status="2xx"}')).toBe(3);
    expect(valueOf(text, 'latchkey_pool_workers_answered')).toBe(1);
    for (const fake of workers) fake.link.close();
  });
});
