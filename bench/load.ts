/** autocannon runs: a warm-up, then the median of several runs, or one run at a fixed rate. */
import autocannon from 'autocannon';

export interface LoadSettings {
  readonly seconds: number;
  readonly connections: number;
  readonly runs: number;
}

export interface Figure {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

/** The middle item by `key` (the upper one of an even count); undefined when there are none. */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T | undefined {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)];
}

export function median(values: readonly number[]): number {
  return medianBy(values, (value) => value) ?? 0;
}

function figureOf(result: autocannon.Result): Figure {
  // Answers counted by status over the run's own duration: requests.total sums whole-second
  // samples, which misstates a run that ends on an amount after a second or two.
  const answered = result['2xx'] + result.non2xx;
  return { rps: answered / Math.max(result.duration, 0.001), p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx + result.timeouts };
}

export function medianFigure(runs: readonly Figure[]): Figure {
  return { rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), errors: runs.reduce((sum, r) => sum + r.errors, 0) };
}

/** 3 s of load before the measured runs (JIT, connection pools, caches). */
export async function warmUp(options: autocannon.Options, settings: LoadSettings): Promise<void> {
  await autocannon({ ...options, connections: settings.connections, duration: 3 });
}

/** One measured run of `seconds`. */
export async function measureRun(options: autocannon.Options, settings: LoadSettings): Promise<Figure> {
  return figureOf(await autocannon({ ...options, connections: settings.connections, duration: settings.seconds }));
}

/** One run at a fixed overall rate: the latency a server gives when it is not saturated. */
export async function measureRunAtRate(options: autocannon.Options, settings: LoadSettings, rate: number): Promise<Figure> {
  return figureOf(await autocannon({ ...options, connections: settings.connections, duration: settings.seconds, overallRate: Math.max(1, Math.round(rate)) }));
}

/** A 3 s warm-up, then `runs` runs of `seconds`; the median of each figure, errors summed. */
export async function measure(options: autocannon.Options, settings: LoadSettings): Promise<Figure> {
  await warmUp(options, settings);
  const runs: Figure[] = [];
  for (let run = 0; run < settings.runs; run += 1) runs.push(await measureRun(options, settings));
  return medianFigure(runs);
}

/** One run that ends when its requests are spent (options.amount); no warm-up of its own. */
export async function measureOnce(options: autocannon.Options, settings: LoadSettings): Promise<Figure> {
  // autocannon notices a spent amount only at its next sample tick (1 s by default), which
  // would round every such run up to whole seconds.
  return figureOf(await autocannon({ ...options, connections: settings.connections, sampleInt: 50 }));
}

/**
 * `runs` runs of every server, the servers taking turns run by run (so that a shared machine's
 * drift moves them alike), and each server's median figure.
 */
export async function medianInTurns<S>(servers: readonly S[], runs: number, measureOne: (server: S) => Promise<Figure>): Promise<Map<S, Figure>> {
  const figures = new Map<S, Figure[]>(servers.map((server) => [server, []]));
  for (let run = 0; run < runs; run += 1) {
    for (const server of servers) figures.get(server)?.push(await measureOne(server));
  }
  return new Map(servers.map((server) => [server, medianFigure(figures.get(server) ?? [])]));
}
