import type { Registry } from 'prom-client';

/** One label combination of a plain histogram: what a hot path holds on to and calls. */
export interface PlainSeries {
  observe(seconds: number): void;
}

export interface PlainHistogram {
  /**
   * A new series for these labels. The caller keeps it (per route, per command) and calls it
   * directly: asking again with the same labels would render the series twice.
   */
  series(labels: Readonly<Record<string, string>>): PlainSeries;
}

interface SeriesState {
  readonly labels: Readonly<Record<string, string>>;
  count: number;
  sum: number;
  /** Per bucket (not cumulative); the last slot is +Inf. */
  readonly buckets: number[];
}

type RenderedValue = { labels: Record<string, string>; value: number; metricName?: string };

/**
 * A latency histogram kept as plain numbers and turned into prom-client's form only when
 * scraped: prom-client's own labelled metrics hash their labels on every observation, which
 * measurably slowed the fastest endpoints (JWKS). With `counter`, the same counts are also
 * rendered as a counter of their own (requests answered, say), at no extra cost per observation.
 *
 * Both render with `aggregator: 'sum'`, so a worker pool's scrape adds them up per metric name
 * and labels (bucket by bucket, _sum with _sum, _count with _count).
 */
export function createPlainHistogram(
  registry: Registry,
  options: { readonly name: string; readonly help: string; readonly buckets: readonly number[]; readonly counter?: { readonly name: string; readonly help: string } },
): PlainHistogram {
  const { name, buckets } = options;
  const all: SeriesState[] = [];
  const register = (metricName: string, help: string, type: 'counter' | 'histogram', toValues: (state: SeriesState) => RenderedValue[]): void => {
    const metric = {
      name: metricName,
      help,
      type,
      aggregator: 'sum' as const,
      get: async () => ({ name: metricName, help, type, aggregator: 'sum' as const, values: all.flatMap(toValues) }),
      reset: () => undefined,
    };
    // prom-client renders any registered object with a name and get() in its text format; this
    // is such an object rather than one of its classes (see above), hence the cast.
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  };
  if (options.counter) register(options.counter.name, options.counter.help, 'counter', (state) => [{ labels: { ...state.labels }, value: state.count }]);
  register(name, options.help, 'histogram', (state) => {
    let cumulative = 0;
    const labels = state.labels;
    return [
      ...buckets.map((le, index) => {
        cumulative += state.buckets[index] ?? 0;
        return { labels: { le: String(le), ...labels }, value: cumulative, metricName: `${name}_bucket` };
      }),
      { labels: { le: '+Inf', ...labels }, value: state.count, metricName: `${name}_bucket` },
      { labels: { ...labels }, value: state.sum, metricName: `${name}_sum` },
      { labels: { ...labels }, value: state.count, metricName: `${name}_count` },
    ];
  });

  return {
    series(labels) {
      const state: SeriesState = { labels: { ...labels }, count: 0, sum: 0, buckets: new Array<number>(buckets.length + 1).fill(0) };
      all.push(state);
      return {
        observe(seconds) {
          state.count += 1;
          state.sum += seconds;
          let index = 0;
          while (index < buckets.length && seconds > (buckets[index] ?? Infinity)) index += 1;
          state.buckets[index] = (state.buckets[index] ?? 0) + 1;
        },
      };
    },
  };
}
