import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

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
