/**
 * `npm run bench -- --peers`: the same load scenarios on Latchkey, ORY Hydra and Keycloak, each
 * pinned to the same server CPU in turn, and their throughput as ratios to Latchkey's. The peers
 * come from scripts/build-peers.sh; a peer that could not be built or started is reported as
 * such and the others are still measured. Results go to bench/results-peers.md.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import type autocannon from 'autocannon';

import { SERVER_NODE } from './bench-servers.js';
import { measureRun, medianInTurns, warmUp, type Figure, type LoadSettings } from './load.js';
import { HYDRA_DSN_OPTIONS, startHydra, startKeycloak, startLatchkeyContender, type Contender, type ScenarioKey } from './peer-servers.js';

const settings: LoadSettings = {
  seconds: Number(process.env.BENCH_DURATION ?? 10),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
  runs: Number(process.env.BENCH_RUNS ?? 3),
};
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '0';
const JVM_WARM_UP_SECONDS = Number(process.env.BENCH_PEERS_JVM_WARMUP ?? 180);
const WARM_UP_SLICE_SECONDS = 10;
const START_TIMEOUT_SECONDS = Number(process.env.BENCH_PEERS_START_TIMEOUT ?? 300);
const FAST_HASH_ITERATIONS = Number(process.env.BENCH_PEERS_HYDRA_FAST_HASH ?? 1);

const SCENARIOS: ReadonlyArray<{ readonly key: ScenarioKey; readonly name: string }> = [
  { key: 'opaque', name: 'client_credentials, opaque token' },
  { key: 'jwt', name: 'client_credentials, JWT access token' },
  { key: 'introspection', name: 'introspection' },
  { key: 'discovery', name: 'discovery' },
  { key: 'jwks', name: 'JWKS' },
];

const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const selected = (name: string): boolean => !only || only.some((part) => name.includes(part));

// The exit handlers of bench-servers.ts and peer-servers.ts kill what they started; a signal
// would otherwise end this process without running them.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));

interface Probe {
  readonly bytes: number;
}

/** One request before any load: a misconfigured server would otherwise be measured answering errors. */
async function probe(contender: Contender, scenario: string, options: autocannon.Options): Promise<Probe> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) if (typeof value === 'string') headers[name] = value;
  const response = await fetch(options.url, { method: options.method ?? 'GET', headers, ...(typeof options.body === 'string' ? { body: options.body } : {}) });
  const body = await response.text();
  if (!response.ok) throw new Error(`${contender.name}, ${scenario}: ${response.status} ${body.slice(0, 300)}`);
  if (scenario === 'introspection' && !/"active"\s*:\s*true/.test(body)) throw new Error(`${contender.name}: the introspected token is not active: ${body.slice(0, 300)}`);
  return { bytes: Buffer.byteLength(body) };
}

/** Busy and total jiffies of one CPU from /proc/stat, or undefined where there is none. */
async function cpuTimes(cpu: string): Promise<{ busy: number; total: number } | undefined> {
  const line = (await readFile('/proc/stat', 'utf8').catch(() => '')).split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) return undefined;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Waits (at most 10 s) until the server CPU is at least 90% idle over half a second: a JVM keeps
 * compiling and collecting after its load stops, on the core the next server is measured on.
 */
async function settle(): Promise<void> {
  if (!/^\d+$/.test(SERVER_CPU)) return;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const before = await cpuTimes(SERVER_CPU);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await cpuTimes(SERVER_CPU);
    if (!before || !after) return;
    const total = after.total - before.total;
    if (total > 0 && (after.busy - before.busy) / total < 0.1) return;
  }
}

/**
 * Load in slices until the rate stops rising (two slices in a row under 5% above the best so
 * far), for at most `maxSeconds`. Returns the seconds spent and whether the rate was still rising.
 */
async function warmUntilFlat(options: autocannon.Options, maxSeconds: number): Promise<{ seconds: number; rising: boolean }> {
  let best = 0;
  let flat = 0;
  let spent = 0;
  while (spent < maxSeconds && flat < 2) {
    const seconds = Math.min(WARM_UP_SLICE_SECONDS, maxSeconds - spent);
    const { rps } = await measureRun(options, { ...settings, seconds });
    spent += seconds;
    flat = rps > best * 1.05 ? 0 : flat + 1;
    best = Math.max(best, rps);
  }
  return { seconds: spent, rising: flat < 2 };
}

interface Measured {
  readonly figures: Map<Contender, Map<ScenarioKey, Figure>>;
  /** The extra warm-up each contender got per scenario (Keycloak). */
  readonly warmUps: Map<Contender, Map<ScenarioKey, { seconds: number; rising: boolean }>>;
  readonly bytes: Map<Contender, Map<ScenarioKey, number>>;
  readonly stillActive: Map<Contender, boolean>;
  /** Scenarios a peer failed before any load (its first answer was an error), with the reason. */
  readonly failed: Map<Contender, Map<ScenarioKey, string>>;
}

/**
 * Every scenario on every contender that has it, taking turns run by run (as run-bench.ts does),
 * so that the shared machine's drift moves them alike instead of the ratios.
 */
async function measureInTurns(contenders: readonly Contender[]): Promise<Measured> {
  const figures = new Map(contenders.map((c) => [c, new Map<ScenarioKey, Figure>()]));
  const bytes = new Map(contenders.map((c) => [c, new Map<ScenarioKey, number>()]));
  const stillActive = new Map<Contender, boolean>();
  const warmUps = new Map(contenders.map((c) => [c, new Map<ScenarioKey, { seconds: number; rising: boolean }>()]));
  const failed = new Map(contenders.map((c) => [c, new Map<ScenarioKey, string>()]));
  for (const scenario of SCENARIOS.filter((s) => selected(s.name))) {
    const options = new Map<Contender, autocannon.Options>();
    for (const contender of contenders) {
      const request = contender.requests[scenario.key];
      if (!request) continue;
      try {
        const built = await request();
        bytes.get(contender)?.set(scenario.key, (await probe(contender, scenario.key, built)).bytes);
        options.set(contender, built);
      } catch (error) {
        // A peer that fails one scenario still takes the others; Latchkey failing is a bug to stop on.
        if (contender.column === 'latchkey') throw error;
        const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
        failed.get(contender)?.set(scenario.key, reason);
        process.stdout.write(`  ${contender.name} left out of ${scenario.name}: ${reason}\n`);
      }
    }
    const taking = [...options.keys()];
    process.stdout.write(`${scenario.name}: ${taking.map((c) => c.name).join(', ')}\n`);
    // The long warm-ups first, then everyone's 3 s one: a server left idle for the minutes a JVM
    // takes to warm measured with a tail several times run-bench.ts's.
    for (const contender of taking.filter((c) => c.warmUpUntilFlatSeconds > 0)) {
      const warmed = await warmUntilFlat(options.get(contender) as autocannon.Options, contender.warmUpUntilFlatSeconds);
      warmUps.get(contender)?.set(scenario.key, warmed);
      process.stdout.write(`  ${contender.name} warmed up for ${warmed.seconds} s${warmed.rising ? ', its rate still rising' : ''}\n`);
    }
    for (const contender of taking) await warmUp(options.get(contender) as autocannon.Options, settings);
    const medians = await medianInTurns(taking, settings.runs, async (contender) => {
      await settle();
      return measureRun(options.get(contender) as autocannon.Options, settings);
    });
    for (const [contender, figure] of medians) figures.get(contender)?.set(scenario.key, figure);
    if (scenario.key === 'introspection') {
      // An expired token is cheaper to introspect; the figures hold only if it was active throughout.
      for (const contender of taking) stillActive.set(contender, await probe(contender, scenario.key, options.get(contender) as autocannon.Options).then(() => true, () => false));
    }
  }
  return { figures, warmUps, bytes, stillActive, failed };
}

const unavailable: Array<{ readonly name: string; readonly reason: string }> = [];
const contenders: Contender[] = [];

async function tryStart(name: string, start: () => Promise<Contender>): Promise<void> {
  process.stdout.write(`starting ${name}\n`);
  try {
    contenders.push(await start());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stdout.write(`${name} did not start: ${reason}\n`);
    unavailable.push({ name, reason: `did not start: ${reason.split('\n')[0] ?? ''}` });
  }
}

const hydraBin = process.env.BENCH_HYDRA_BIN;
const keycloakHome = process.env.BENCH_KEYCLOAK_HOME;
const keycloakJavaHome = process.env.BENCH_KEYCLOAK_JAVA_HOME;
const buildNote = 'not built: scripts/build-peers.sh failed for it (its messages are above in the bench output)';

let measured: Measured;
try {
  // Latchkey first: without it there is nothing to compare with, so fail before the slow starts.
  contenders.push(await startLatchkeyContender(SERVER_CPU));
  if (keycloakHome && keycloakJavaHome) {
    await tryStart('Keycloak', () => startKeycloak({ home: keycloakHome, javaHome: keycloakJavaHome, cpus: SERVER_CPU, startTimeoutSeconds: START_TIMEOUT_SECONDS, warmUpSeconds: JVM_WARM_UP_SECONDS }));
  } else {
    unavailable.push({ name: 'Keycloak', reason: buildNote });
  }
  if (hydraBin) {
    await tryStart('Hydra', () => startHydra({ bin: hydraBin, cpus: SERVER_CPU }));
    if (FAST_HASH_ITERATIONS > 0) await tryStart(`Hydra (PBKDF2 at ${FAST_HASH_ITERATIONS})`, () => startHydra({ bin: hydraBin, cpus: SERVER_CPU, pbkdf2Iterations: FAST_HASH_ITERATIONS }));
  } else {
    unavailable.push({ name: 'Hydra', reason: buildNote });
  }
  measured = await measureInTurns(contenders);
} finally {
  for (const contender of contenders) await contender.stop();
}

const latchkey = contenders.find((c) => c.column === 'latchkey') as Contender;
const main = (column: Contender['column']): Contender | undefined => contenders.find((c) => c.column === column && !c.variant);
const hydra = main('hydra');
const keycloak = main('keycloak');
const figureOf = (contender: Contender | undefined, key: ScenarioKey): Figure | undefined => (contender ? measured.figures.get(contender)?.get(key) : undefined);
const ours = (key: ScenarioKey): Figure | undefined => figureOf(latchkey, key);

/** A peer's cell: its rate and its ratio to Latchkey's, or why there is none. */
function rateCell(contender: Contender | undefined, column: string, key: ScenarioKey): string {
  if (!contender) return unavailable.some((u) => u.name.toLowerCase() === column) ? 'not run' : '—';
  if (!contender.requests[key]) return 'n/a';
  if (measured.failed.get(contender)?.has(key)) return 'failed';
  const figure = figureOf(contender, key);
  const mine = ours(key);
  if (!figure) return '—';
  const ratio = mine && mine.rps > 0 ? ` (${(figure.rps / mine.rps).toFixed(2)}×)` : '';
  return `${Math.round(figure.rps)}${ratio}`;
}
const p99Cell = (contender: Contender | undefined, key: ScenarioKey): string => `${figureOf(contender, key)?.p99 ?? ''}`;
const errorsCell = (...figures: Array<Figure | undefined>): string => figures.map((f) => (f ? String(f.errors) : '–')).join(' / ');

const rows: string[] = [];
for (const scenario of SCENARIOS) {
  const mine = ours(scenario.key);
  if (!mine) continue;
  rows.push(`| ${scenario.name} | ${Math.round(mine.rps)} | ${mine.p99} | ${rateCell(hydra, 'hydra', scenario.key)} | ${p99Cell(hydra, scenario.key)} | ${rateCell(keycloak, 'keycloak', scenario.key)} | ${p99Cell(keycloak, scenario.key)} | ${errorsCell(mine, figureOf(hydra, scenario.key), figureOf(keycloak, scenario.key))} |`);
  for (const variant of contenders.filter((c) => c.variant && figureOf(c, scenario.key))) {
    const cells = variant.column === 'hydra' ? `${rateCell(variant, 'hydra', scenario.key)} | ${p99Cell(variant, scenario.key)} | | ` : ` | | ${rateCell(variant, 'keycloak', scenario.key)} | ${p99Cell(variant, scenario.key)}`;
    rows.push(`| ${scenario.name}, ${variant.variant ?? ''} | ${Math.round(mine.rps)} | ${mine.p99} | ${cells} | ${errorsCell(mine, variant.column === 'hydra' ? figureOf(variant, scenario.key) : undefined, variant.column === 'keycloak' ? figureOf(variant, scenario.key) : undefined)} |`);
  }
}

const sizeRows = SCENARIOS.filter((s) => s.key === 'discovery' || s.key === 'jwks' || s.key === 'jwt')
  .filter((s) => ours(s.key))
  .map((s) => `| ${s.name} | ${[latchkey, hydra, keycloak].map((c) => (c ? (measured.bytes.get(c)?.get(s.key) ?? 'n/a') : '—')).join(' | ')} |`);

const keycloakWarmUps = keycloak ? [...(measured.warmUps.get(keycloak) ?? [])] : [];
const warmUpLine = keycloakWarmUps.length > 0 ? `Keycloak's extra warm-up: ${keycloakWarmUps.map(([key, w]) => `${SCENARIOS.find((s) => s.key === key)?.name ?? key} ${w.seconds} s${w.rising ? ' (cut off while still rising: its figure understates it)' : ''}`).join('; ')}.` : '';
const inactive = [...measured.stillActive].filter(([, active]) => !active).map(([c]) => c.name);
const serverNodeVersion = (await promisify(execFile)(SERVER_NODE, ['--version'])).stdout.trim();
const table = [
  '| scenario | Latchkey req/s | p99 ms | Hydra req/s (× Latchkey) | p99 ms | Keycloak req/s (× Latchkey) | p99 ms | errors L / H / K |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
];
const report = [
  '# Latchkey, ORY Hydra and Keycloak on the same core',
  '',
  `Run ${new Date().toISOString()} by \`npm run bench -- --peers\` on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} CPUs), Latchkey on Node ${serverNodeVersion} (load generator on ${process.version}), commit ${process.env.BENCH_COMMIT ?? 'unknown'}.`,
  `Each server pinned to CPU ${SERVER_CPU} (taskset) in turn; the load generator (autocannon, ${settings.connections} connections, HTTP/1.1 on loopback), Latchkey's Redis and FerretDB on the other CPU.`,
  `Each figure is the median of ${settings.runs} runs of ${settings.seconds} s after a 3 s warm-up per scenario (Keycloak: before that, ${WARM_UP_SLICE_SECONDS} s slices until its rate stops rising, at most ${JVM_WARM_UP_SECONDS} s, for its JIT);`,
  'all servers are up side by side, idle but for the one under load, and take turns run by run, so that the machine\'s drift moves them alike;',
  `before each run the driver waits (at most 10 s) for CPU ${SERVER_CPU} to be 90% idle, as a JVM goes on compiling after its load stops.`,
  '',
  '- Latchkey: dist/main.js as it ships (NODE_ENV=production, one process, Redis + FerretDB, per-IP rate limits on /token, audit trail, info-level request logs).',
  ...[hydra, keycloak].flatMap((c) => (c ? c.about.map((line) => `- ${c.name}: ${line}`) : [])),
  ...unavailable.map((u) => `- ${u.name}: ${u.reason}`),
  ...(warmUpLine ? [`- ${warmUpLine}`] : []),
  ...[...measured.failed].flatMap(([c, reasons]) => [...reasons].map(([key, reason]) => `- ${c.name} failed ${SCENARIOS.find((s) => s.key === key)?.name ?? key} before any load: ${reason}`)),
  '',
  '## Throughput',
  '',
  ...table,
  '',
  ...(inactive.length > 0 ? [`**The introspected token was no longer active at the end for ${inactive.join(', ')}: those introspection figures measured an inactive answer.**`, ''] : []),
  'Response sizes (bytes of one answer\'s body; more bytes is more work to serialise and send):',
  '',
  '| scenario | Latchkey | Hydra | Keycloak |',
  '| --- | ---: | ---: | ---: |',
  ...sizeRows,
  '',
  '## How to read it',
  '',
  '- "× Latchkey" is the peer\'s requests per second divided by Latchkey\'s in the same run: above 1 the peer answers more on the same core.',
  '  Read the ratios, not the absolute figures: the machine is shared, and two runs of it differ by more than their medians suggest.',
  `- p99 is at saturation (a closed loop of ${settings.connections} connections), so it is mostly queueing: it says how a server shares one core among waiting requests.`,
  '- errors: failed and non-2xx answers over all measured runs (Latchkey / Hydra / Keycloak). Non-2xx answers count in req/s, so a row with errors is not a throughput.',
  '- n/a: the peer has no equivalent (Keycloak issues no opaque access tokens). not run: the peer could not be built or started; failed: its',
  '  first answer in that scenario was an error (both explained above).',
  '',
  '## What makes the comparison unfair',
  '',
  'In the peers\' favour:',
  '',
  '- Logging: Latchkey logs every request at info level plus an audit line for each issued token (its stdout goes to /dev/null here, but the lines are',
  '  still built and written); Hydra and Keycloak run at log level warn and write nothing per request.',
  '- Rate limiting: Latchkey\'s per-IP limiter is on for /token (limits above what the load sends, so it costs one Redis round trip per request and',
  '  refuses nothing); neither peer limits anything here.',
  '- Introspection: Hydra\'s endpoint is on its admin port and takes no client authentication; Latchkey and Keycloak authenticate the client',
  '  (Basic) on every request. Keycloak introspects a JWT: a signature check and its in-process caches, no store lookup; Latchkey and Hydra look',
  '  an opaque token up in their stores.',
  '- Keycloak: `--cache=local` (one node, no cluster replication, sessions in its own heap), client_credentials tokens with transient sessions',
  '  (nothing stored per token), and warm-up until its rate stops rising per scenario (see above) for its JIT; Latchkey and Hydra get 3 s,',
  '  as in run-bench.ts (Go compiles ahead of time).',
  '- Keycloak compares client secrets as stored (plain); Latchkey decrypts its sealed copy (AES-256-GCM) before comparing.',
  '',
  'In Latchkey\'s favour:',
  '',
  '- Storage off the server core: Latchkey\'s Redis and FerretDB run on the load generator\'s CPU, so their CPU time is not on the measured core.',
  `  Hydra's SQLite and Keycloak's H2 run inside their processes on the server core. Hydra writes every issued token (opaque or JWT) to SQLite, a`,
  `  single-writer file database (DSN options \`${HYDRA_DSN_OPTIONS}\`: WAL, no fsync per commit, like Latchkey's Redis without persistence;`,
  '  with SQLite\'s default rollback journal, Hydra issued about a third as many opaque tokens per second in a short trial here);',
  '  its production databases are PostgreSQL, MySQL or CockroachDB. Hydra also reads its signing key sets from SQLite (and decrypts them) for every',
  '  discovery and JWKS request. Keycloak\'s H2 (dev-file) is not supported for production either, but Keycloak serves these paths from its caches.',
  '- Client authentication: Hydra hashes client secrets with PBKDF2-SHA256 at 25 000 iterations by default (oauth2.hashers) and verifies the hash on',
  `  every token request; that dominates its opaque-token row. The rows marked "PBKDF2 at ${FAST_HASH_ITERATIONS} iteration(s)" are a second Hydra with that setting,`,
  '  measured in the same turns.',
  '- JWT signatures: Latchkey signs access tokens with ES256 (P-256); Hydra with RS256 under the 4096-bit RSA key it generates by default; Keycloak',
  '  with RS256 under a 2048-bit key. An RSA-4096 signature costs several times an RSA-2048 one, which costs more than an ES256 one.',
  '- Token contents: Keycloak\'s access token carries its default client scopes (profile, email, realm and client roles), so it is larger and more',
  '  mappers run; Hydra\'s and Latchkey\'s carry the requested scope and audience only. Hydra is asked for `audience=`, Latchkey for `resource=`.',
  '- Keycloak\'s JVM on one core: JIT compiler and G1 threads share the server core with the requests; heap as kc.sh sets it unless',
  '  BENCH_KEYCLOAK_HEAP says otherwise.',
  '',
  'Neither way: every server is limited to one core by its CPU affinity (Node one process; Go sets GOMAXPROCS and the JVM its processor count',
  'from it), plain HTTP on loopback, the same load generator and connection count. `hydra serve all --dev` only lets Hydra use a plain-http issuer.',
  '',
].join('\n');

if (!only) await writeFile(new URL('./results-peers.md', import.meta.url), `${report}\n`);
process.stdout.write(`\n${report}\n`);
