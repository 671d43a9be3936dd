import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';

import { startServer } from '../../../src/server.js';
import { generateKeySet } from '../../../src/keys/key-set.js';
import { runCli } from '../../../src/cli/main.js';
import { findFreePort, makeTempDir, requireEnv, uniqueMongoUri, waitUntilAnswering } from '../../support/test-env.js';
import { Browser, expectPage } from '../../support/browser.js';
import { basicAuthorization } from '../../support/register-client.js';
import { totpCode } from '../../support/sign-in.js';
import { createTestContainer } from '../../support/test-server.js';

const MAIN = ['--import', 'tsx', 'src/main.ts'];
// Production refuses weak or example secrets; these are what `openssl rand -base64 32` gives.
const COOKIE_KEY = randomBytes(32).toString('base64url');
const DATA_KEY = randomBytes(32).toString('base64');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs src/main.ts as its own process, as `npm start` would, and collects what it prints. */
function runMain(env: Record<string, string>, untilStdout?: RegExp): { exited: Promise<Exit>; ready: Promise<void>; kill: (signal: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, MAIN, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (untilStdout?.test(stdout)) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr: withoutRuntimeNotice(stderr) })));
  return { exited, ready, kill: (signal) => child.kill(signal) };
}

// oidc-provider warns on import under Node 20 that it prefers Node 22+; that notice is not ours.
function withoutRuntimeNotice(stderr: string): string {
  return stderr.split('\n').filter((line) => !line.startsWith('oidc-provider WARNING: Unsupported runtime')).join('\n');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('server lifecycle', () => {
  it('finishes a request in flight when asked to stop, then refuses new connections and closes the stores', async () => {
    const { container, port, removeKeys } = await createTestContainer();
    // A readiness check that takes a while stands in for a slow request.
    const slow = { name: 'slow', check: () => new Promise<void>((resolve) => setTimeout(resolve, 400)) };
    let storesClosed = false;
    const running = await startServer(
      {
        ...container,
        readinessChecks: [slow],
        close: async () => {
          await container.close();
          storesClosed = true;
        },
      },
      port,
      '127.0.0.1',
    );

    const inFlight = fetch(`${running.url}/readyz`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const closed = running.close();
    const response = await inFlight;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ shutting_down: true, checks: { slow: 'ok' } });
    await closed;
    // Well inside the shutdown timeout: the kept-alive socket was closed as soon as it went idle.
    expect(Date.now() - started).toBeLessThan(container.config.shutdownTimeoutSeconds * 1000);
    expect(storesClosed).toBe(true);
    expect(await canConnect(port)).toBe(false);
    await removeKeys();
  });

  it('exits cleanly on SIGTERM with Redis and MongoDB connections open', async () => {
    const keys = await makeTempDir();
    const port = await findFreePort();
    const main = runMain(
      { NODE_ENV: 'test', PORT: String(port), KEYS_DIR: keys.path, REDIS_URL: requireEnv('REDIS_URL'), MONGODB_URI: uniqueMongoUri() },
      /latchkey listening/,
    );
    await main.ready;
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: 'ok', mongodb: 'ok' } });
    main.kill('SIGTERM');
    const exit = await main.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/"msg":"stopped"/);
    expect(exit.stdout).not.toMatch(/forcing exit/);
    await keys.remove();
  });

  it('still writes the audit lines at LOG_LEVEL=warn, where a log-only event has no other record', async () => {
    const keys = await makeTempDir();
    const port = await findFreePort();
    const env = { NODE_ENV: 'test', PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, KEYS_DIR: keys.path, REDIS_URL: requireEnv('REDIS_URL'), MONGODB_URI: uniqueMongoUri(), DATA_ENCRYPTION_KEY: DATA_KEY, LOG_LEVEL: 'warn' };
    let created = '';
    let refused = '';
    const cli = await runCli(['clients', 'create', '--name', 'Quiet log', '--scope', 'openid', '--json'], { env, stdout: (text) => (created += text), stderr: (text) => (refused += text), readStdin: async () => '' });
    expect({ cli, refused }).toEqual({ cli: 0, refused: '' });
    const client = JSON.parse(created) as { client_id: string; client_secret: string };
    const main = runMain(env);
    try {
      await waitUntilAnswering(`${env.ISSUER}/readyz`, { exited: main.exited });
      const response = await fetch(`${env.ISSUER}/token`, {
        method: 'POST',
        headers: { authorization: basicAuthorization(client.client_id, client.client_secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      expect(response.status).toBe(200);
    } finally {
      main.kill('SIGTERM');
    }
    const exit = await main.exited;
    expect(exit.code).toBe(0);
    const lines = exit.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg?: string; level?: number; audit?: { type?: string; clientId?: string } });
    // token.issued is log-only by default: this line is the whole of its record.
    expect(lines.filter((line) => line.msg === 'audit' && line.audit?.type === 'token.issued')).toEqual([expect.objectContaining({ level: 30, audit: expect.objectContaining({ clientId: client.client_id }) })]);
    // The rest of the log keeps to warn: no access lines, no "listening".
    expect(lines.filter((line) => line.msg !== 'audit' && (line.level ?? 0) < 40)).toEqual([]);
    await keys.remove();
  });

  it('refuses to start in production without MONGODB_URI and says so in one line', async () => {
    const exit = await runMain({ NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379', COOKIE_KEYS: COOKIE_KEY, DATA_ENCRYPTION_KEY: DATA_KEY }).exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr.trim()).toBe('latchkey: configuration error: MONGODB_URI: is required when NODE_ENV=production');
  });

  it('lists every bad production setting in one line, without their values', async () => {
    const exit = await runMain({ NODE_ENV: 'production', ISSUER: 'http://id.example.org', COOKIE_KEYS: 'change-me-to-a-long-random-secret-value-0001', DATA_ENCRYPTION_KEY: 'k1:ZXhhbXBsZS1leGFtcGxlLWV4YW1wbGUtZXhhbXBsZS0=' }).exited;
    expect(exit.code).toBe(1);
    const line = exit.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    for (const named of ['MONGODB_URI: is required', 'REDIS_URL: is required', 'ISSUER: must use https', 'COOKIE_KEYS: is the example value', 'DATA_ENCRYPTION_KEY: is the example value']) {
      expect(line).toContain(named);
    }
    expect(line).not.toContain('change-me-to-a-long-random-secret-value-0001');
  });

  it('stops with one clear line when DATA_ENCRYPTION_KEY is not the key this database was set up with, and starts with it listed second after a new one', async () => {
    const keys = await makeTempDir();
    await generateKeySet(keys.path);
    const base = { NODE_ENV: 'production', KEYS_DIR: keys.path, REDIS_URL: requireEnv('REDIS_URL'), MONGODB_URI: uniqueMongoUri(), COOKIE_KEYS: COOKIE_KEY };
    const start = async (dataKey: string): Promise<Exit> => {
      const port = await findFreePort();
      const main = runMain({ ...base, PORT: String(port), DATA_ENCRYPTION_KEY: dataKey }, /latchkey listening/);
      await Promise.race([main.ready, main.exited]);
      main.kill('SIGTERM');
      return main.exited;
    };
    expect((await start(DATA_KEY)).code).toBe(0);
    const wrong = await start(randomBytes(32).toString('base64'));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe('latchkey: cannot start: DATA_ENCRYPTION_KEY: the key listed as "default" is not the key this database was set up with under that id');
    const dropped = await start(`k2:${randomBytes(32).toString('base64')}`);
    expect(dropped.code).toBe(1);
    expect(dropped.stderr).toContain('key id "default" encrypted data in this database but is not listed');
    expect((await start(`k2:${randomBytes(32).toString('base64')},default:${DATA_KEY}`)).code).toBe(0);
    await keys.remove();
  });

  it('starts in production on an empty database by generating signing keys there, once: every later start uses the same', async () => {
    const keys = await makeTempDir();
    const port = await findFreePort();
    const env = { NODE_ENV: 'production', PORT: String(port), KEYS_DIR: keys.path, REDIS_URL: requireEnv('REDIS_URL'), MONGODB_URI: uniqueMongoUri(), COOKIE_KEYS: COOKIE_KEY, DATA_ENCRYPTION_KEY: DATA_KEY };
    const kidsOfRun = async (): Promise<string[]> => {
      const main = runMain(env, /latchkey listening/);
      await main.ready;
      const kids = ((await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> }).keys;
      expect(kids.every((key) => key.d === undefined)).toBe(true);
      main.kill('SIGTERM');
      expect((await main.exited).code).toBe(0);
      return kids.map((key) => key.kid).sort();
    };
    const first = await kidsOfRun();
    expect(first).toHaveLength(2);
    expect(await kidsOfRun()).toEqual(first);
    // Nothing was written to KEYS_DIR: the keys live in MongoDB, their private parts encrypted.
    expect(await readdir(keys.path)).toEqual([]);
    await keys.remove();
  });

  it('names the store it cannot reach instead of hanging', async () => {
    const keys = await makeTempDir();
    await generateKeySet(keys.path);
    const unused = await findFreePort();
    const exit = await runMain({ NODE_ENV: 'test', KEYS_DIR: keys.path, REDIS_URL: `redis://127.0.0.1:${unused}`, MONGODB_URI: uniqueMongoUri() }).exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/^latchkey: cannot start: cannot connect to Redis: .*ECONNREFUSED/);
    expect(exit.stderr).not.toMatch(/\n\s+at /);
    await keys.remove();
  });

  it('runs as `npm run dev` with no services: in-memory stores, dev keys, a demo client that gets tokens', async () => {
    const keys = await makeTempDir();
    const port = await findFreePort();
    const child = spawn(process.execPath, [...MAIN, '--dev'], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), KEYS_DIR: `${keys.path}/dev` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/client_secret\s+\S+/.test(stdout) && /latchkey listening/.test(stdout)) resolve();
      });
    });
    try {
      expect(stdout).toMatch(/WARNING: in-memory storage/);
      expect(stdout).toMatch(/generated development signing keys/);
      const issuer = `http://localhost:${port}`;
      const discovery = (await (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).json()) as { issuer: string; token_endpoint: string };
      expect(discovery.issuer).toBe(issuer);
      const clientId = /client_id\s+(\S+)/.exec(stdout)?.[1] ?? '';
      const clientSecret = /client_secret\s+(\S+)/.exec(stdout)?.[1] ?? '';
      const token = await fetch(`http://127.0.0.1:${port}/token`, {
        method: 'POST',
        headers: {
          authorization: basicAuthorization(clientId, clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      expect(token.status).toBe(200);
      expect(await token.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });

      // The round trip a newcomer makes: the printed URL, the demo user, the demo callback page.
      const authorizationUrl = /(http:\/\/localhost:\d+\/auth\?\S+)/.exec(stdout)?.[1] ?? '';
      const email = /email\s+(\S+@\S+)/.exec(stdout)?.[1] ?? '';
      const password = /password\s+(\S+)/.exec(stdout)?.[1] ?? '';
      const secret = /totp secret\s+([A-Z2-7]+)/.exec(stdout)?.[1] ?? '';
      const browser = new Browser('http://nowhere.invalid/');
      const login = expectPage(await browser.open(authorizationUrl));
      const second = expectPage(await browser.submit(login, { containing: 'input[name="password"]', fields: { email, password } }));
      const consent = expectPage(await browser.submit(second, { containing: 'input[name="code"]', fields: { code: await totpCode(secret) } }));
      expect(consent.html).toContain('Latchkey demo app');
      const callback = expectPage(await browser.submit(consent, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } }));
      expect(callback.url).toMatch(/\/dev\/callback\?code=/);
      const claims = JSON.parse(callback.document.querySelector('[data-id-token-claims]')?.text ?? '{}') as Record<string, unknown>;
      expect(claims).toMatchObject({ email, email_verified: false, name: 'Demo User', amr: expect.arrayContaining(['pwd', 'otp']) });
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await keys.remove();
    }
  });

  it('re-reads the signing keys in MongoDB on SIGHUP: a rotation made by the CLI is served at once', async () => {
    const keys = await makeTempDir();
    const port = await findFreePort();
    const env = { NODE_ENV: 'test', PORT: String(port), KEYS_DIR: keys.path, MONGODB_URI: uniqueMongoUri(), COOKIE_KEYS: COOKIE_KEY, DATA_ENCRYPTION_KEY: DATA_KEY };
    const main = runMain(env, /latchkey listening/);
    await main.ready;
    const kids = async (): Promise<string[]> => ((await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid).sort();
    const before = await kids();
    let stdout = '';
    const code = await runCli(['keys', 'rotate', '--immediately', '--json'], { env, stdout: (text) => (stdout += text), stderr: () => undefined, readStdin: async () => '' });
    expect(code).toBe(0);
    const created = (JSON.parse(stdout) as { created: Array<{ kid: string }> }).created.map((key) => key.kid);
    expect(created).toHaveLength(2);
    main.kill('SIGHUP');
    const deadline = Date.now() + 5000;
    let after = await kids();
    while (after.length === before.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await kids();
    }
    expect(after).toEqual([...before, ...created].sort());
    main.kill('SIGTERM');
    expect((await main.exited).code).toBe(0);
    await keys.remove();
  });
});
