/**
 * `npm run bench`: Latchkey (Redis + MongoDB, rate limits and audit on) against a bare
 * oidc-provider ceiling on the same machine. Each server runs on CPU 0; this driver, the load
 * (autocannon) and the databases run on CPU 1. Every figure is the median of RUNS runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

import { runCli } from '../src/cli/main.js';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '0';
const RESULTS_FILE = new URL('./results.md', import.meta.url);
const RESOURCE = 'https://api.bench.example.com';

interface Scenario {
  readonly name: string;
  readonly request: (target: Target) => autocannon.Options;
}

interface Target {
  readonly url: string;
  readonly basic: string;
  readonly opaqueToken: string;
}

interface Figure {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

const SCENARIOS: readonly Scenario[] = [
  { name: 'client_credentials, opaque token', request: (t) => ({ url: `${t.url}/token`, method: 'POST', headers: { ...form, authorization: t.basic }, body: 'grant_type=client_credentials' }) },
  { name: 'client_credentials, JWT access token', request: (t) => ({ url: `${t.url}/token`, method: 'POST', headers: { ...form, authorization: t.basic }, body: `grant_type=client_credentials&scope=read&resource=${encodeURIComponent(RESOURCE)}` }) },
  { name: 'introspection', request: (t) => ({ url: `${t.url}/token/introspection`, method: 'POST', headers: { ...form, authorization: t.basic }, body: `token=${t.opaqueToken}` }) },
  { name: 'JWKS', request: (t) => ({ url: `${t.url}/jwks` }) },
  { name: 'discovery', request: (t) => ({ url: `${t.url}/.well-known/openid-configuration` }) },
];

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

function startPinned(args: string[], env: Record<string, string>): ChildProcess {
  return spawn('taskset', ['-c', SERVER_CPU, process.execPath, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer`);
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function clientCredentials(url: string, authorization: string): Promise<string> {
  const response = await fetch(`${url}/token`, { method: 'POST', headers: { ...form, authorization }, body: 'grant_type=client_credentials' });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token from ${url}: ${JSON.stringify(body)}`);
  return body.access_token;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function measure(scenario: Scenario, target: Target): Promise<Figure> {
  await autocannon({ ...scenario.request(target), connections: CONNECTIONS, duration: 3 });
  const runs: Figure[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const result = await autocannon({ ...scenario.request(target), connections: CONNECTIONS, duration: DURATION_SECONDS });
    runs.push({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx });
  }
  return { rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), errors: runs.reduce((sum, r) => sum + r.errors, 0) };
}

// What storing an audit event costs on the hottest path: the opaque client-credentials scenario
// again, with token.issued (log-only by default) stored in the background or before each answer.
const AUDIT_VARIANTS = [
  { name: 'client_credentials, opaque token, token.issued batched', storage: 'token.issued=batched' },
  { name: 'client_credentials, opaque token, token.issued durable', storage: 'token.issued=durable' },
] as const;

interface RunningLatchkey {
  readonly child: ChildProcess;
  readonly target: Target;
  readonly profileDir: string;
}

async function startLatchkey(extraEnv: Record<string, string> = {}): Promise<RunningLatchkey> {
  const redisUrl = process.env.REDIS_URL;
  const mongoBase = process.env.MONGODB_URI;
  if (!redisUrl || !mongoBase) throw new Error('REDIS_URL and MONGODB_URI must be set: run `npm run bench`');
  const mongoUrl = new URL(mongoBase);
  mongoUrl.pathname = `/latchkey_bench_${randomBytes(4).toString('hex')}`;
  const keysDir = await mkdtemp(join(tmpdir(), 'latchkey-bench-keys-'));
  const profileDir = await mkdtemp(join(tmpdir(), 'latchkey-bench-profile-'));
  const port = await freePort();
  const env = {
    NODE_ENV: 'production',
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    REDIS_URL: redisUrl,
    MONGODB_URI: mongoUrl.toString(),
    KEYS_DIR: keysDir,
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // On, but above what one load generator can send: the limiter's cost is measured, not its refusals.
    RATE_LIMIT_TOKEN_PER_MINUTE: '100000000',
    LOG_LEVEL: 'info',
    // One process on the one server core: the figures are per core, as bare's are.
    WEB_CONCURRENCY: '1',
    ...extraEnv,
  };
  const cli = async (args: string[]): Promise<Record<string, unknown>> => {
    let out = '';
    let err = '';
    const code = await runCli([...args, '--json'], { env, stdout: (text) => (out += text), stderr: (text) => (err += text), readStdin: async () => '' });
    if (code !== 0) throw new Error(`latchkey ${args.join(' ')}: ${err}`);
    return JSON.parse(out) as Record<string, unknown>;
  };
  await cli(['keys', 'generate']);
  await cli(['resources', 'create', '--identifier', RESOURCE, '--scope', 'read', '--format', 'jwt']);
  const client = await cli(['clients', 'create', '--name', 'Bench', '--scope', 'openid', '--resource', RESOURCE]);
  const profile = process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = startPinned([...profile, 'dist/main.js'], env);
  await waitFor(`${env.ISSUER}/readyz`);
  const authorization = basic(String(client.client_id), String(client.client_secret));
  return { child, profileDir, target: { url: env.ISSUER, basic: authorization, opaqueToken: await clientCredentials(env.ISSUER, authorization) } };
}

async function startBare(): Promise<{ child: ChildProcess; target: Target }> {
  const port = await freePort();
  const child = startPinned(['--import', 'tsx', 'bench/bare-provider.ts'], { PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/.well-known/openid-configuration`);
  const authorization = basic('bench', 'bench-secret');
  return { child, target: { url, basic: authorization, opaqueToken: await clientCredentials(url, authorization) } };
}

/** Self time by function, top entries, from a V8 CPU profile: where the server spends a request. */
async function summariseProfile(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
  if (!files[0]) return [];
  const profile = JSON.parse(await readFile(join(dir, files[0]), 'utf8')) as { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[] };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  for (const sample of profile.samples) {
    const frame = byId.get(sample)?.callFrame;
    if (!frame) continue;
    const where = frame.url.includes('node_modules/') ? frame.url.split('node_modules/')[1]?.split('/').slice(0, 2).join('/') : frame.url.replace(/^.*\/dist\//, 'dist/');
    const key = `${frame.functionName || '(anonymous)'} ${where ?? ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([key, count]) => `${((100 * count) / total).toFixed(1)}% ${key}`);
}

const latchkey = await startLatchkey();
const ours: Figure[] = [];
for (const scenario of SCENARIOS) {
  process.stdout.write(`latchkey: ${scenario.name}\n`);
  ours.push(await measure(scenario, latchkey.target));
}
await stop(latchkey.child);
const profile = await summariseProfile(latchkey.profileDir);

const auditFigures: Figure[] = [];
const auditCounts: string[] = [];
const [opaqueScenario] = SCENARIOS;
if (!opaqueScenario) throw new Error('no scenarios');
for (const variant of AUDIT_VARIANTS) {
  process.stdout.write(`latchkey: ${variant.name}\n`);
  const running = await startLatchkey({ AUDIT_STORAGE: variant.storage });
  auditFigures.push(await measure(opaqueScenario, running.target));
  // The variant measured what it claims only if the tokens it issued went to MongoDB.
  const metrics = await (await fetch(`${running.target.url}/metrics`)).text();
  const count = (pattern: RegExp): number => Number(pattern.exec(metrics)?.[1] ?? 0);
  const issued = count(/^latchkey_audit_events_total\{type="token\.issued"\} (\d+)$/m);
  const written = count(/^latchkey_audit_events_written_total (\d+)$/m);
  const dropped = count(/^latchkey_audit_events_dropped_total (\d+)$/m);
  await stop(running.child);
  if (written < issued * 0.9 || dropped > 0) throw new Error(`${variant.name}: ${issued} token.issued events, ${written} written, ${dropped} dropped`);
  auditCounts.push(`${variant.storage}: ${issued} token.issued events recorded, ${written} written to MongoDB by the end of the run, ${dropped} dropped`);
}

const bare = await startBare();
const ceiling: Figure[] = [];
for (const scenario of SCENARIOS) {
  process.stdout.write(`bare oidc-provider: ${scenario.name}\n`);
  ceiling.push(await measure(scenario, bare.target));
}
await stop(bare.child);

const rows = SCENARIOS.map((scenario, index) => {
  const mine = ours[index] as Figure;
  const base = ceiling[index] as Figure;
  return `| ${scenario.name} | ${Math.round(mine.rps)} | ${mine.p50} | ${mine.p99} | ${mine.errors} | ${Math.round(base.rps)} | ${base.p50} | ${base.p99} | ${(mine.rps / base.rps).toFixed(2)} |`;
});
const opaqueCeiling = ceiling[0] as Figure;
const auditRows = AUDIT_VARIANTS.map((variant, index) => {
  const mine = auditFigures[index] as Figure;
  const base = opaqueCeiling;
  return `| ${variant.name} | ${Math.round(mine.rps)} | ${mine.p50} | ${mine.p99} | ${mine.errors} | ${Math.round(base.rps)} | ${base.p50} | ${base.p99} | ${(mine.rps / base.rps).toFixed(2)} |`;
});
const report = [
  '# Benchmark results',
  '',
  `Run ${new Date().toISOString()} by \`npm run bench\` on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} CPUs), Node ${process.version}.`,
  `Each server pinned to CPU ${SERVER_CPU} (taskset); the load generator (autocannon, ${CONNECTIONS} connections), Redis and FerretDB on the other CPU.`,
  `Each figure is the median of ${RUNS} runs of ${DURATION_SECONDS} s after a 3 s warm-up. Latchkey runs with NODE_ENV=production, Redis + FerretDB storage,`,
  'per-IP rate limiting and the audit trail on, and info-level request logs. The ceiling is oidc-provider with its in-memory adapter in a bare Koa app.',
  ...(process.env.BENCH_PROFILE === '1' ? ['Latchkey ran under --cpu-prof for this run (BENCH_PROFILE=1), which costs it a few percent.'] : []),
  '',
  '| scenario | Latchkey req/s | p50 ms | p99 ms | errors | bare req/s | p50 ms | p99 ms | Latchkey / bare |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
  ...auditRows,
  '',
  'The last two rows measure what storing an audit event costs: the opaque client-credentials run again with `token.issued`',
  '(log-only by default) stored in the background (`batched`) or before each answer (`durable`, the class of sign-ins and admin changes).',
  'Their ratio is to the bare opaque client-credentials figure. Audit counters at the end of each (from /metrics):',
  '',
  ...auditCounts.map((line) => `- ${line}`),
  '',
  ...(profile.length > 0 ? ['Largest self-time entries of the Latchkey server over the whole run (BENCH_PROFILE=1):', '', '```', ...profile, '```', ''] : []),
].join('\n');
await writeFile(RESULTS_FILE, `${report}\n`);
process.stdout.write(`\n${report}\n`);
