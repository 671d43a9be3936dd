import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

import { runCli } from '../../../src/cli/main.js';
import { findFreePort, makeTempDir, requireEnv, uniqueMongoUri } from '../../support/test-env.js';

const MAIN = ['--import', 'tsx', 'src/main.ts'];
const COOKIE_KEY = randomBytes(32).toString('base64url');
const DATA_KEY = randomBytes(32).toString('base64');

interface Pool {
  readonly pid: number;
  readonly lines: () => Array<Record<string, unknown>>;
  waitFor(predicate: (line: Record<string, unknown>) => boolean, ms?: number): Promise<void>;
  readonly exited: Promise<{ code: number | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

function startPool(env: Record<string, string>): Pool {
  const child = spawn(process.execPath, MAIN, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const parsed: Array<Record<string, unknown>> = [];
  let rest = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) {
      try {
        parsed.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return {
    pid: child.pid ?? 0,
    lines: () => parsed,
    async waitFor(predicate, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!parsed.some(predicate)) {
        if (Date.now() > deadline) throw new Error(`timed out; log so far:\n${parsed.map((line) => JSON.stringify(line)).join('\n')}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    exited,
    kill: (signal) => child.kill(signal),
  };
}

/** A GET on a connection of its own (no keep-alive), so the pool's workers take turns at it. */
async function getOnce(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent: false, headers: { connection: 'close', ...headers } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The primary's worker processes (tsx, the TypeScript loader, runs an esbuild child of its own). */
function workerPids(primary: number): number[] {
  const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(primary)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  return children.filter((line) => line.includes('src/main.ts')).map((line) => Number(line.trim().split(/\s+/)[0]));
}

describe('WEB_CONCURRENCY: worker processes sharing the port', () => {
  it('serves from every worker, passes SIGHUP on, replaces a worker that dies, and drains all on SIGTERM', async () => {
    const keys = await makeTempDir();
    const port = await findFreePort();
    const env = { NODE_ENV: 'test', PORT: String(port), KEYS_DIR: keys.path, REDIS_URL: requireEnv('REDIS_URL'), MONGODB_URI: uniqueMongoUri(), COOKIE_KEYS: COOKIE_KEY, DATA_ENCRYPTION_KEY: DATA_KEY, WEB_CONCURRENCY: '2' };
    const pool = startPool(env);
    try {
      await pool.waitFor((line) => line.msg === 'all workers listening', 40_000);
      expect(workerPids(pool.pid)).toHaveLength(2);

      const kids = async (): Promise<string[]> => ((await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid).sort();
      for (let i = 0; i < 20; i += 1) await kids();
      // Each worker writes its log lines in batches of its own: wait for both workers' lines.
      await pool.waitFor((line) => line.msg === 'request' && line.worker === 1);
      await pool.waitFor((line) => line.msg === 'request' && line.worker === 2);
      const served = new Set(pool.lines().filter((line) => line.msg === 'request').map((line) => line.worker));
      expect([...served].sort()).toEqual([1, 2]);

      // A rotation by the CLI, then SIGHUP to the primary: every worker re-reads the keys.
      const before = await kids();
      let stdout = '';
      expect(await runCli(['keys', 'rotate', '--immediately', '--json'], { env, stdout: (text) => (stdout += text), stderr: () => undefined, readStdin: async () => '' })).toBe(0);
      const created = (JSON.parse(stdout) as { created: Array<{ kid: string }> }).created.map((key) => key.kid);
      pool.kill('SIGHUP');
      const expected = [...before, ...created].sort();
      const deadline = Date.now() + 5000;
      let answers = await Promise.all(Array.from({ length: 8 }, kids));
      while (!answers.every((answer) => JSON.stringify(answer) === JSON.stringify(expected)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        answers = await Promise.all(Array.from({ length: 8 }, kids));
      }
      expect(answers.every((answer) => JSON.stringify(answer) === JSON.stringify(expected))).toBe(true);

      // A worker killed outright is replaced; the port keeps answering meanwhile.
      const [victim] = workerPids(pool.pid);
      process.kill(victim ?? 0, 'SIGKILL');
      await pool.waitFor((line) => line.msg === 'worker exited; starting another');
      for (let i = 0; i < 10; i += 1) expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      await pool.waitFor((line) => line.msg === 'latchkey listening' && line.worker === 3, 40_000);
      expect(workerPids(pool.pid)).toHaveLength(2);

      pool.kill('SIGTERM');
      const exit = await pool.exited;
      expect(exit.code).toBe(0);
      expect(pool.lines().filter((line) => line.msg === 'stopped').length).toBeGreaterThanOrEqual(3);
    } finally {
      pool.kill('SIGKILL');
      await keys.remove();
    }
  }, 120_000);

  it('answers /metrics for the whole pool, whichever worker takes the scrape', async () => {
    const keys = await makeTempDir();
    const port = await findFreePort();
    const token = randomBytes(24).toString('base64url');
    const pool = startPool({ NODE_ENV: 'test', PORT: String(port), KEYS_DIR: keys.path, REDIS_URL: requireEnv('REDIS_URL'), MONGODB_URI: uniqueMongoUri(), COOKIE_KEYS: COOKIE_KEY, DATA_ENCRYPTION_KEY: DATA_KEY, WEB_CONCURRENCY: '2', METRICS_TOKEN: token });
    try {
      await pool.waitFor((line) => line.msg === 'all workers listening', 40_000);
      const base = `http://127.0.0.1:${port}`;
      const sent = 40;
      for (let round = 0; round < sent / 8; round += 1) {
        const answers = await Promise.all(Array.from({ length: 8 }, () => getOnce(`${base}/jwks`)));
        expect(answers.every((answer) => answer.status === 200)).toBe(true);
      }
      for (let i = 0; i < 6; i += 1) expect((await getOnce(`${base}/readyz`)).status).toBe(200);
      const jwksBy = (worker: number): number => pool.lines().filter((line) => line.msg === 'request' && line.worker === worker && line.path === '/jwks').length;
      // Logs are written asynchronously: wait for every request's line.
      await pool.waitFor(() => jwksBy(1) + jwksBy(2) === sent);
      // Both workers served some: one worker's count alone would fall short of what was sent.
      expect(jwksBy(1)).toBeGreaterThan(0);
      expect(jwksBy(2)).toBeGreaterThan(0);
      expect(jwksBy(1) + jwksBy(2)).toBe(sent);

      expect((await getOnce(`${base}/metrics`)).status).toBe(401);
      for (let scrape = 0; scrape < 6; scrape += 1) {
        const started = Date.now();
        const scraped = await getOnce(`${base}/metrics`, { authorization: `Bearer ${token}` });
        expect(scraped.status).toBe(200);
        expect(Date.now() - started).toBeLessThan(2000);
        expect(valueOf(scraped.body, 'latchkey_http_requests_total{route="jwks",status="2xx"}')).toBe(sent);
        expect(valueOf(scraped.body, 'latchkey_http_request_duration_seconds_count{route="jwks",status="2xx"}')).toBe(sent);
        expect(valueOf(scraped.body, 'latchkey_pool_workers')).toBe(2);
        expect(valueOf(scraped.body, 'latchkey_pool_workers_answered')).toBe(2);
        // Each readiness probe pings Redis from whichever worker took it.
        expect(valueOf(scraped.body, 'latchkey_redis_command_duration_seconds_count{command="ping",outcome="ok"}')).toBeGreaterThanOrEqual(6);
      }

      pool.kill('SIGTERM');
      expect((await pool.exited).code).toBe(0);
    } finally {
      pool.kill('SIGKILL');
      await keys.remove();
    }
  }, 120_000);

  it('stops with the reason when a worker cannot start, instead of restarting it forever', async () => {
    const keys = await makeTempDir();
    const unused = await findFreePort();
    const pool = startPool({ NODE_ENV: 'test', PORT: String(await findFreePort()), KEYS_DIR: keys.path, REDIS_URL: `redis://127.0.0.1:${unused}`, MONGODB_URI: uniqueMongoUri(), COOKIE_KEYS: COOKIE_KEY, DATA_ENCRYPTION_KEY: DATA_KEY, WEB_CONCURRENCY: '2' });
    const exit = await pool.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/latchkey: cannot start: cannot connect to Redis/);
    expect(pool.lines().some((line) => line.msg === 'a worker could not start; stopping')).toBe(true);
    await keys.remove();
  }, 60_000);
});
