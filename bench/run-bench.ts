/**
 * `npm run bench`: Latchkey (Redis + MongoDB, rate limits and audit on) against two ceilings on
 * the same machine in the same run: bare oidc-provider with its in-memory adapter, and with a
 * minimal Redis adapter (like for like). Each server runs on CPU 0; this driver, the load
 * (autocannon) and the databases run on CPU 1. Figures are medians of RUNS runs; targets are
 * ratios within this one run. Results go to bench/results.md.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type autocannon from 'autocannon';
import { createConnection } from 'mongoose';

import { loadConfig } from '../src/config/load-config.js';
import { summariseCpuProfile, type CpuProfile } from './cpu-profile.js';
import { RESOURCE, SERVER_NODE, startBare, startLatchkey, stopServer, type RunningServer, type Target } from './bench-servers.js';
import { measure, measureOnce, measureRun, measureRunAtRate, medianBy, medianInTurns, warmUp, type Figure, type LoadSettings } from './load.js';
import { createPeople, runEngineFlows, runSignIns, type EngineFlowFigure, type SignInFigure } from './sign-in-load.js';
import { codeRedemption, mintCodes, mintRefreshTokens, refreshRotation } from './token-flows.js';

const settings: LoadSettings = {
  seconds: Number(process.env.BENCH_DURATION ?? 10),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
  runs: Number(process.env.BENCH_RUNS ?? 3),
};
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '0';
const ALL_CPUS = process.env.BENCH_ALL_CPUS ?? '0,1';
const CODES_PER_RUN = Number(process.env.BENCH_CODES ?? 3000);
const REFRESH_POOL = 64;
// FerretDB (the tests' MongoDB) scans the whole accounts collection for an email: more people
// cost the shared core more per sign-in (MongoDB answers from the email index).
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 600);
// Sign-ins (and bare engine flows) before the first run: see runSignIns.
const SIGN_IN_WARMUP = Number(process.env.BENCH_SIGN_IN_WARMUP ?? 1000);
const SIGN_IN_CONCURRENCY = Number(process.env.BENCH_SIGN_IN_CONCURRENCY ?? 8);
const PROFILE = process.env.BENCH_PROFILE === '1';

const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** A steady-load scenario: the same request (or a self-renewing one) for the whole run. */
interface Scenario {
  readonly name: string;
  /** Which ceiling Latchkey is held to, and at what ratio. */
  readonly target: { readonly against: 'redis' | 'memory'; readonly ratio: number } | undefined;
  /** Also measured at half of the Redis ceiling's peak, for p99. */
  readonly halfLoad: boolean;
  readonly request: (target: Target) => Promise<autocannon.Options>;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'client_credentials, opaque token', target: { against: 'redis', ratio: 0.9 }, halfLoad: true, request: async (t) => ({ url: `${t.url}/token`, method: 'POST', headers: { ...form, authorization: t.basic }, body: 'grant_type=client_credentials' }) },
  { name: 'client_credentials, JWT access token', target: { against: 'redis', ratio: 0.9 }, halfLoad: true, request: async (t) => ({ url: `${t.url}/token`, method: 'POST', headers: { ...form, authorization: t.basic }, body: `grant_type=client_credentials&scope=read&resource=${encodeURIComponent(RESOURCE)}` }) },
  { name: 'introspection', target: { against: 'redis', ratio: 0.9 }, halfLoad: true, request: async (t) => ({ url: `${t.url}/token/introspection`, method: 'POST', headers: { ...form, authorization: t.basic }, body: `token=${t.opaqueToken}` }) },
  { name: 'refresh_token with rotation', target: { against: 'redis', ratio: 0.8 }, halfLoad: true, request: async (t) => refreshRotation(t, await mintRefreshTokens(t, REFRESH_POOL)) },
  { name: 'JWKS', target: { against: 'memory', ratio: 0.9 }, halfLoad: false, request: async (t) => ({ url: `${t.url}/jwks` }) },
  { name: 'discovery', target: { against: 'memory', ratio: 0.9 }, halfLoad: false, request: async (t) => ({ url: `${t.url}/.well-known/openid-configuration` }) },
];

const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const selected = (name: string): boolean => !only || only.some((part) => name.includes(part));

interface ServerFigures {
  readonly steady: Map<string, Figure>;
  readonly halfLoad: Map<string, Figure>;
  codes?: Figure;
}

/**
 * Every scenario on every server, the servers taking turns run by run (memory, Redis, Latchkey,
 * then again): they are measured within seconds of each other, so the machine's drift over a
 * run of this length (other tenants, thermal) moves all three alike instead of the ratios.
 * Measured one after the other, two full runs 30 minutes apart put the token ratios 15% apart.
 */
async function measureInTurns(servers: readonly RunningServer[], redisCeiling: RunningServer): Promise<Map<RunningServer, ServerFigures>> {
  const figures = new Map(servers.map((server) => [server, { steady: new Map(), halfLoad: new Map() }]));
  const figuresOf = (server: RunningServer): ServerFigures => figures.get(server) as ServerFigures;
  for (const scenario of SCENARIOS.filter((s) => selected(s.name))) {
    process.stdout.write(`${scenario.name}\n`);
    const options = new Map<RunningServer, autocannon.Options>();
    for (const server of servers) options.set(server, await scenario.request(server.target));
    const optionsOf = (server: RunningServer): autocannon.Options => options.get(server) as autocannon.Options;
    for (const server of servers) await warmUp(optionsOf(server), settings);
    const peaks = await medianInTurns(servers, settings.runs, (server) => measureRun(optionsOf(server), settings));
    for (const [server, figure] of peaks) figuresOf(server).steady.set(scenario.name, figure);
    if (!scenario.halfLoad) continue;
    // Half of the Redis ceiling's peak, for the ceiling itself and for Latchkey.
    const rate = (figuresOf(redisCeiling).steady.get(scenario.name)?.rps ?? 0) / 2;
    const paced = servers.filter((server) => server === redisCeiling || server.env !== undefined);
    process.stdout.write(`${scenario.name} at ${Math.round(rate)} req/s\n`);
    const halves = await medianInTurns(paced, settings.runs, (server) => measureRunAtRate(optionsOf(server), settings, rate));
    for (const [server, figure] of halves) figuresOf(server).halfLoad.set(scenario.name, figure);
  }
  if (selected('authorization_code')) {
    process.stdout.write('authorization_code redemption\n');
    // A short warm-up batch each, then each run on freshly minted codes, servers in turn.
    for (const server of servers) await measureOnce(codeRedemption(server.target, await mintCodes(server.target, Math.min(CODES_PER_RUN, 600))), settings);
    const codes = await medianInTurns(servers, settings.runs, async (server) => measureOnce(codeRedemption(server.target, await mintCodes(server.target, CODES_PER_RUN)), settings));
    for (const [server, figure] of codes) figuresOf(server).codes = figure;
  }
  return figures;
}

async function argon2VerifyMs(server: RunningServer): Promise<number> {
  if (!server.env) throw new Error('argon2 parameters come from a Latchkey server');
  const parameters = loadConfig(server.env).argon2;
  const { stdout } = await promisify(execFile)('taskset', ['-c', SERVER_CPU, process.execPath, '--import', 'tsx', 'bench/argon2-verify.ts'], { env: { ...process.env, ARGON2_PARAMETERS: JSON.stringify(parameters) } });
  return (JSON.parse(stdout) as { verifyMs: number }).verifyMs;
}

/** The Latchkey server's profile (BENCH_PROFILE=1), summarised: where its busy time went. */
async function summariseProfile(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
  if (!files[0]) return [];
  return summariseCpuProfile(JSON.parse(await readFile(join(dir, files[0]), 'utf8')) as CpuProfile);
}

const serverNodeVersion = (await promisify(execFile)(SERVER_NODE, ['--version'])).stdout.trim();
// A run on another Node than this one (`npm run bench -- --node 24`) keeps its own results file.
const RESULTS_FILE = new URL(SERVER_NODE === process.execPath ? './results.md' : `./results-node${serverNodeVersion.replace(/^v(\d+).*$/, '$1')}.md`, import.meta.url);

// All three up at once, idle but for the one under load (each on the server core).
const bareMemory = await startBare('memory', SERVER_CPU);
const bareRedis = await startBare('redis', SERVER_CPU);
const latchkey = await startLatchkey('latchkey', { cpus: SERVER_CPU, profile: PROFILE });
const measured = await measureInTurns([bareMemory, bareRedis, latchkey], bareRedis);
await stopServer(bareMemory);
let engineFlow: EngineFlowFigure | undefined;
const memoryFigures = measured.get(bareMemory) as ServerFigures;
const redisFigures = measured.get(bareRedis) as ServerFigures;
const ours = measured.get(latchkey) as ServerFigures;
const halfRates = new Map([...redisFigures.steady].map(([name, figure]) => [name, figure.rps / 2]));

/** One sign-in run and the argon2 verification time measured on the server core just before it. */
interface SignInRun {
  readonly figure: SignInFigure;
  readonly verifyMs: number;
}

/** The share of the argon2 ceiling the server's core sustains: verify ms / server CPU ms per sign-in. */
function capacityShareOf(run: SignInRun): number {
  return run.verifyMs / (run.figure.cpu.mainMs + run.figure.cpu.otherMs);
}

let signIns: { figure: SignInFigure; verifyMs: number; verifyRange: readonly [number, number] } | undefined;
if (selected('sign-in')) {
  process.stdout.write(`latchkey: creating ${PEOPLE} people\n`);
  const people = await createPeople(latchkey, PEOPLE);
  process.stdout.write(`latchkey and bare oidc-provider (redis): ${SIGN_IN_WARMUP} sign-ins and flows to warm up\n`);
  await runEngineFlows(bareRedis, { count: SIGN_IN_WARMUP }, SIGN_IN_CONCURRENCY);
  const warmUp = await runSignIns(latchkey, people, { count: SIGN_IN_WARMUP }, SIGN_IN_CONCURRENCY);
  // A warm-up that fails throughout would measure nothing afterwards either.
  if (warmUp.errors > Math.max(3, SIGN_IN_WARMUP / 10)) throw new Error(`sign-in warm-up: ${warmUp.errors} of ${SIGN_IN_WARMUP} sign-ins failed`);
  // The engine's flows, argon2 alone and the sign-ins take turns run by run, so that the
  // machine's drift moves the ceiling and what is judged against it alike.
  const engineRuns: EngineFlowFigure[] = [];
  const runs: SignInRun[] = [];
  for (let run = 0; run < settings.runs; run += 1) {
    process.stdout.write(`sign-ins: run ${run + 1} of ${settings.runs}\n`);
    engineRuns.push(await runEngineFlows(bareRedis, { seconds: settings.seconds }, SIGN_IN_CONCURRENCY));
    const verifyMs = await argon2VerifyMs(latchkey);
    const figure = await runSignIns(latchkey, people, { seconds: settings.seconds }, SIGN_IN_CONCURRENCY);
    if (figure.starvedSeconds > 0) process.stderr.write(`sign-ins: the ${PEOPLE} people ran out (${figure.starvedSeconds.toFixed(1)} s waiting); raise BENCH_PEOPLE\n`);
    runs.push({ figure, verifyMs });
  }
  engineFlow = medianBy(engineRuns, (run) => run.perSecond);
  // The median by what the target judges: each run against the ceiling measured beside it.
  const median = medianBy(runs, capacityShareOf);
  if (!median) throw new Error('no sign-in run was measured (BENCH_RUNS must be at least 1)');
  const verifyTimes = runs.map((run) => run.verifyMs);
  // Any starved run makes the median suspect, not only a starved median.
  signIns = {
    figure: { ...median.figure, starvedSeconds: runs.reduce((sum, run) => sum + run.figure.starvedSeconds, 0) },
    verifyMs: median.verifyMs,
    verifyRange: [Math.min(...verifyTimes), Math.max(...verifyTimes)],
  };
}
await stopServer(bareRedis);
await stopServer(latchkey);
const profile = PROFILE ? await summariseProfile(latchkey.profileDir) : [];

/**
 * The server's token.issued and dropped audit counts once requests still running when the load
 * stopped have recorded theirs: the same figures twice in a row, 200 ms apart (at most 5 s).
 */
async function settledAuditCounts(url: string): Promise<{ recorded: number; dropped: number }> {
  const read = async (): Promise<{ recorded: number; dropped: number }> => {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const count = (pattern: RegExp): number => Number(pattern.exec(metrics)?.[1] ?? 0);
    return { recorded: count(/^latchkey_audit_events_total\{type="token\.issued"\} (\d+)$/m), dropped: count(/^latchkey_audit_events_dropped_total (\d+)$/m) };
  };
  let last = await read();
  for (let i = 0; i < 25; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = await read();
    if (now.recorded === last.recorded && now.dropped === last.dropped) return now;
    last = now;
  }
  throw new Error(`the audit counts at ${url} did not settle: ${JSON.stringify(last)}`);
}

/** Events of one type in a Latchkey server's MongoDB audit collection. */
async function storedAuditEvents(server: RunningServer, type: string): Promise<number> {
  const uri = server.env?.MONGODB_URI;
  if (!uri) throw new Error(`${server.name} has no MongoDB`);
  const connection = await createConnection(uri).asPromise();
  try {
    return await connection.collection('audit_events').countDocuments({ type });
  } finally {
    await connection.close();
  }
}

// What storing an audit event costs on the hottest path: opaque client credentials again, with
// token.issued (log-only by default) stored in the background or before each answer.
const AUDIT_VARIANTS = [
  { name: 'client_credentials, opaque token, token.issued batched', storage: 'token.issued=batched' },
  { name: 'client_credentials, opaque token, token.issued durable', storage: 'token.issued=durable' },
] as const;
const [opaque, jwt] = SCENARIOS;
if (!opaque || !jwt) throw new Error('no scenarios');
const auditRows: Array<{ name: string; figure: Figure; counts: string }> = [];
if (selected('audit')) {
  for (const variant of AUDIT_VARIANTS) {
    process.stdout.write(`latchkey: ${variant.name}\n`);
    const running = await startLatchkey('latchkey', { cpus: SERVER_CPU, env: { AUDIT_STORAGE: variant.storage } });
    const figure = await measure(await opaque.request(running.target), settings);
    // The variant measured what it claims only if every token it issued has its event in MongoDB
    // once the server has shut down (which writes what is still batched).
    const { recorded, dropped } = await settledAuditCounts(running.target.url);
    await stopServer(running);
    const stored = await storedAuditEvents(running, 'token.issued');
    if (stored !== recorded || dropped > 0) throw new Error(`${variant.name}: ${recorded} token.issued events recorded, ${stored} in MongoDB, ${dropped} dropped`);
    auditRows.push({ name: variant.name, figure, counts: `${variant.storage}: ${recorded} token.issued events recorded, ${stored} of them in MongoDB after the server shut down, ${dropped} dropped` });
  }
}

// Every core: two workers on both CPUs (sharing CPU 1 with the load and the stores).
const workerRows: Array<{ name: string; one: Figure; two: Figure }> = [];
if (selected('workers')) {
  const pool = await startLatchkey('latchkey, 2 workers', { cpus: ALL_CPUS, workers: 2 });
  for (const scenario of [opaque, jwt]) {
    process.stdout.write(`latchkey, 2 workers: ${scenario.name}\n`);
    const one = ours.steady.get(scenario.name);
    if (one) workerRows.push({ name: scenario.name, one, two: await measure(await scenario.request(pool.target), settings) });
  }
  await stopServer(pool);
}

const ratio = (a: number | undefined, b: number | undefined): string => (a && b ? (a / b).toFixed(2) : 'n/a');
const verdict = (value: number, goal: number, atLeast = true): string => ((atLeast ? value >= goal : value <= goal) ? `met (${atLeast ? '≥' : '≤'} ${goal})` : `**missed** (${atLeast ? '≥' : '≤'} ${goal})`);
const steadyRows = SCENARIOS.filter((s) => ours.steady.has(s.name)).map((scenario) => {
  const mine = ours.steady.get(scenario.name) as Figure;
  const redis = redisFigures.steady.get(scenario.name);
  const memory = memoryFigures.steady.get(scenario.name);
  const against = scenario.target?.against === 'memory' ? memory : redis;
  const goal = scenario.target ? verdict(mine.rps / (against?.rps ?? Infinity), scenario.target.ratio) : '';
  return `| ${scenario.name} | ${Math.round(mine.rps)} | ${mine.p50} | ${mine.p99} | ${mine.errors} | ${Math.round(redis?.rps ?? 0)} | ${redis?.p99 ?? ''} | ${Math.round(memory?.rps ?? 0)} | ${memory?.p99 ?? ''} | ${ratio(mine.rps, redis?.rps)} | ${ratio(mine.rps, memory?.rps)} | ${goal} ${scenario.target ? `of ${scenario.target.against}` : ''} |`;
});
if (ours.codes) {
  const mine = ours.codes;
  steadyRows.push(`| authorization_code redemption (${CODES_PER_RUN} codes per run) | ${Math.round(mine.rps)} | ${mine.p50} | ${mine.p99} | ${mine.errors} | ${Math.round(redisFigures.codes?.rps ?? 0)} | ${redisFigures.codes?.p99 ?? ''} | ${Math.round(memoryFigures.codes?.rps ?? 0)} | ${memoryFigures.codes?.p99 ?? ''} | ${ratio(mine.rps, redisFigures.codes?.rps)} | ${ratio(mine.rps, memoryFigures.codes?.rps)} | (no target) |`);
}
const halfRows = SCENARIOS.filter((s) => ours.halfLoad.has(s.name)).map((scenario) => {
  const mine = ours.halfLoad.get(scenario.name) as Figure;
  const bare = redisFigures.halfLoad.get(scenario.name);
  const times = mine.p99 / Math.max(bare?.p99 ?? 0, 1);
  return `| ${scenario.name} | ${Math.round(halfRates.get(scenario.name) ?? 0)} | ${Math.round(mine.rps)} | ${mine.p99} | ${bare?.p99 ?? ''} | ${times.toFixed(2)} | ${verdict(times, 2, false)} |`;
});
/**
 * Where a sign-in's CPU goes on the server's one core, and what the engine alone leaves: the
 * argon2 ceiling assumes nothing but argon2 runs, which no sign-in through oidc-provider can.
 */
function cpuLines(cpu: SignInFigure['cpu'], verifyMs: number, ceiling: number): string[] {
  const lines = [
    `Server CPU per sign-in (Linux /proc, median run): ${cpu.mainMs.toFixed(1)} ms on the main thread (JavaScript), ${cpu.otherMs.toFixed(1)} ms on its other threads (libuv's pool, where the ${verifyMs.toFixed(1)} ms argon2 verification runs, and V8's GC helpers). ` +
      `Everything beyond one standalone verification is about ${(cpu.mainMs + cpu.otherMs - verifyMs).toFixed(1)} ms; a ratio of 0.8 leaves ${(verifyMs / 4).toFixed(1)} ms for it. ` +
      `That includes the ${(cpu.otherMs - verifyMs).toFixed(1)} ms the other threads spent beyond the verification: V8's GC helpers, token signing, and argon2 itself running slower ` +
      'than alone, as it shares the core (and its caches) with the JavaScript.',
  ];
  if (engineFlow) {
    const engineMs = engineFlow.cpu.mainMs + engineFlow.cpu.otherMs;
    const bound = 1000 / (verifyMs + engineMs);
    lines.push(
      '',
      `The engine's own share, measured the same way: bare oidc-provider (Redis adapter) spends ${engineMs.toFixed(1)} ms of CPU per /auth → code → token flow (${engineFlow.cpu.mainMs.toFixed(1)} main, ${engineFlow.cpu.otherMs.toFixed(1)} other; ${engineFlow.perSecond.toFixed(0)} flows/s, interactions finished at once: no pages, password or second factor). ` +
        `argon2 plus that flow alone would allow ${bound.toFixed(1)} sign-ins/s, ${(bound / ceiling).toFixed(2)} of the argon2 ceiling, before Latchkey adds a page, a form or a check.`,
    );
  }
  return [...lines, ''];
}

const signInLines = signIns
  ? (() => {
      const ceiling = 1000 / signIns.verifyMs;
      const share = signIns.figure.perSecond / ceiling;
      const { cpu } = signIns.figure;
      // What the server's core sustains at the CPU it spent per sign-in: the measured rate when
      // the core was fully busy, and the server's own figure when the other core set the pace.
      const capacity = 1000 / (cpu.mainMs + cpu.otherMs);
      const capacityShare = capacity / ceiling;
      const serverBusy = signIns.figure.perSecond / capacity;
      return [
        '## Full sign-ins',
        '',
        `/auth → login page → password → TOTP code → back to the client → code redeemed with PKCE, ${SIGN_IN_CONCURRENCY} at a time, ${PEOPLE} people, each (person, TOTP step) once, after ${SIGN_IN_WARMUP} sign-ins of warm-up (and as many flows on the bare engine).`,
        `argon2id verification with the server's parameters on the server's core, measured just before each run: ${signIns.verifyMs.toFixed(1)} ms before the median run (${signIns.verifyRange[0].toFixed(1)}-${signIns.verifyRange[1].toFixed(1)} ms over the runs), so its ceiling is ${ceiling.toFixed(1)} sign-ins/s.`,
        'The runs take turns with the bare engine\'s flows and with argon2 alone, and the median run is the median by the share of its own ceiling.',
        '',
        '| sign-ins/s | p50 ms | p99 ms | errors | completed | of the argon2 ceiling | server core busy | server capacity/s | its share of the ceiling | target |',
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
        `| ${signIns.figure.perSecond.toFixed(1)} | ${signIns.figure.p50} | ${signIns.figure.p99} | ${signIns.figure.errors} | ${signIns.figure.completed} | ${share.toFixed(2)} | ${Math.round(serverBusy * 100)}% | ${capacity.toFixed(1)} | ${capacityShare.toFixed(2)} | ${signIns.figure.starvedSeconds > 0 ? 'not measured: too few people' : verdict(capacityShare, 0.8)} |`,
        '',
        'The target is judged on the server capacity: 1000 / (server CPU ms per sign-in), the rate its one core sustains. It equals the measured rate when',
        'the server core was fully busy. When it was not, the other core set the pace: it runs the load generator, Redis and FerretDB, and FerretDB 1.24',
        "(SQLite) scans every account for each email lookup, about 21 µs of CPU per account, where MongoDB answers from the email index.",
        '',
        ...(signIns.figure.starvedSeconds > 0
          ? [`**The ${PEOPLE} people ran out**: workers waited ${signIns.figure.starvedSeconds.toFixed(1)} s in all for a person with a TOTP step left, so this rate is the pool's, not the server's. Raise BENCH_PEOPLE.`, '']
          : []),
        ...cpuLines(signIns.figure.cpu, signIns.verifyMs, ceiling),
      ];
    })()
  : [];
const report = [
  '# Benchmark results',
  '',
  `Run ${new Date().toISOString()} by \`npm run bench\` on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} CPUs), servers on Node ${serverNodeVersion} (load generator on ${process.version}), commit ${process.env.BENCH_COMMIT ?? 'unknown'}.`,
  `Each server pinned to CPU ${SERVER_CPU} (taskset); the load generator (autocannon, ${settings.connections} connections), Redis and FerretDB on the other CPU.`,
  `Each figure is the median of ${settings.runs} runs of ${settings.seconds} s after a 3 s warm-up; the three servers run side by side and take turns run by run,`,
  'so that the machine\'s drift moves them alike. Latchkey runs as it ships: NODE_ENV=production, one process,',
  'Redis + FerretDB storage, per-IP rate limiting and the audit trail on, info-level request logs. The ceilings are oidc-provider in a bare Koa app with',
  'a static client, no rate limits, no audit, no logs: with an unbounded in-memory adapter ("memory", bench/bare-memory-adapter.ts), and with a minimal Redis adapter on the same Redis ("redis",',
  'bench/bare-redis-adapter.ts: one hash per artifact, a list per grant). Read the ratios, not the absolute figures: the machine is shared.',
  ...(PROFILE ? ['Latchkey ran under --cpu-prof for this run (BENCH_PROFILE=1), which costs it a few percent.'] : []),
  '',
  '## Throughput',
  '',
  '| scenario | Latchkey req/s | p50 ms | p99 ms | errors | bare redis req/s | p99 ms | bare memory req/s | p99 ms | / redis | / memory | target |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...steadyRows,
  '',
  'Refresh: a pool of 64 refresh tokens minted through real sign-ins before the run; each request spends one and puts back the one its answer',
  'carries. Codes: minted through /auth on a signed-in session before each run, each redeemed once with its PKCE verifier.',
  '',
  ...signInLines,
  '## p99 at half load',
  '',
  `Each server sent half of the bare Redis ceiling's peak rate (autocannon overallRate), the latency corrected for coordinated omission; median of ${settings.runs} runs.`,
  '',
  '| scenario | rate req/s | Latchkey achieved | Latchkey p99 ms | bare redis p99 ms | Latchkey / bare | target |',
  '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ...halfRows,
  '',
  ...(workerRows.length > 0
    ? [
        '## Every core: WEB_CONCURRENCY',
        '',
        'One worker pinned to CPU 0 (the table above) against two workers on CPUs 0-1. The two-worker server shares CPU 1 with the load generator,',
        'Redis and FerretDB, so this understates what a second core gives a server that has it to itself.',
        '',
        '| scenario | 1 worker req/s | 2 workers req/s | 2 / 1 | 2 workers p99 ms |',
        '| --- | ---: | ---: | ---: | ---: |',
        ...workerRows.map((row) => `| ${row.name} | ${Math.round(row.one.rps)} | ${Math.round(row.two.rps)} | ${ratio(row.two.rps, row.one.rps)} | ${row.two.p99} |`),
        '',
      ]
    : []),
  ...(auditRows.length > 0
    ? [
        '## Audit storage on the hottest path',
        '',
        'Opaque client credentials again with `token.issued` (log-only by default) stored in the background (`batched`) or before each answer',
        '(`durable`, the class of sign-ins and admin changes). Measured after the table above, so their ratio spans minutes of drift.',
        '',
        '| variant | req/s | p50 ms | p99 ms | errors | / bare redis |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        ...auditRows.map((row) => `| ${row.name} | ${Math.round(row.figure.rps)} | ${row.figure.p50} | ${row.figure.p99} | ${row.figure.errors} | ${ratio(row.figure.rps, redisFigures.steady.get(opaque.name)?.rps)} |`),
        '',
        ...auditRows.map((row) => `- ${row.counts}`),
        '',
      ]
    : []),
  ...(profile.length > 0 ? ['Where the Latchkey server spent its busy time over the whole run (BENCH_PROFILE=1; idle and start-up left out):', '', '```', ...profile, '```', ''] : []),
].join('\n');
if (!only) await writeFile(RESULTS_FILE, `${report}\n`);
process.stdout.write(`\n${report}\n`);
