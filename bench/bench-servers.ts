/**
 * The servers a bench run measures, each a child process on the server CPU(s): Latchkey as it
 * ships (dist/main.js, production mode, Redis + MongoDB, rate limits and audit on), and the two
 * bare oidc-provider ceilings (in-memory and minimal Redis adapter).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCli } from '../src/cli/main.js';
import { listKillTarget } from './kill-list.js';
import { Browser } from '../test/support/browser.js';
import { basicAuthorization } from '../test/support/register-client.js';
import { totpCode } from '../test/support/sign-in.js';
import { waitUntilAnswering } from '../test/support/test-env.js';

export const RESOURCE = 'https://api.bench.example.com';
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const BENCH_PASSWORD = 'correct horse battery staple';

/** A client that signs people in: authorization code with PKCE, refresh tokens. */
export interface CodeClient {
  readonly id: string;
  readonly secret: string;
}

export interface Target {
  readonly url: string;
  /** Basic authorization of the client_credentials client. */
  readonly basic: string;
  readonly opaqueToken: string;
  readonly codeClient: CodeClient;
  /** A browser whose session at this server is signed in, so /auth answers with a code (one per server). */
  signedInBrowser(): Promise<Browser>;
}

export interface RunningServer {
  readonly name: string;
  readonly child: ChildProcess;
  readonly target: Target;
  readonly profileDir: string;
  /** The Latchkey CLI against this server's stores (Latchkey only). */
  readonly cli?: (args: string[], stdin?: string) => Promise<Record<string, unknown>>;
  /** This server's environment (Latchkey only), for tools opening its stores. */
  readonly env?: Readonly<Record<string, string>>;
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

// How long a server may take to start answering (it builds nothing: dist/ is built first).
const START_TIMEOUT_MS = 30_000;

// A driver that fails half-way must not leave a server holding the server core.
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** The Node.js the servers run on: BENCH_SERVER_NODE (bench.sh sets it for --node 24), else this one. */
export const SERVER_NODE = process.env.BENCH_SERVER_NODE || process.execPath;

function startPinned(cpus: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn('taskset', ['-c', cpus, SERVER_NODE, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  // The exit handler above does not run when the driver is SIGKILLed; bench.sh then kills these.
  const pid = child.pid === undefined ? '' : String(child.pid);
  if (pid) listKillTarget(pid, true);
  child.once('exit', () => {
    children.delete(child);
    if (pid) listKillTarget(pid, false);
  });
  return child;
}

export async function stopServer(server: RunningServer): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

async function clientCredentials(url: string, authorization: string): Promise<string> {
  const response = await fetch(`${url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, body: 'grant_type=client_credentials' });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token from ${url}: ${JSON.stringify(body)}`);
  return body.access_token;
}

export interface LatchkeyOptions {
  readonly cpus: string;
  readonly workers?: number;
  readonly env?: Record<string, string>;
  readonly profile?: boolean;
}

export async function startLatchkey(name: string, options: LatchkeyOptions): Promise<RunningServer> {
  const redisUrl = process.env.REDIS_URL;
  const mongoBase = process.env.MONGODB_URI;
  if (!redisUrl || !mongoBase) throw new Error('REDIS_URL and MONGODB_URI must be set: run `npm run bench`');
  const mongoUrl = new URL(mongoBase);
  mongoUrl.pathname = `/latchkey_bench_${randomBytes(4).toString('hex')}`;
  const keysDir = await mkdtemp(join(tmpdir(), 'latchkey-bench-keys-'));
  const profileDir = await mkdtemp(join(tmpdir(), 'latchkey-bench-profile-'));
  const port = await freePort();
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    REDIS_URL: redisUrl,
    MONGODB_URI: mongoUrl.toString(),
    KEYS_DIR: keysDir,
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // On, but above what one load generator can send: the limiters' cost is measured, not their refusals.
    RATE_LIMIT_TOKEN_PER_MINUTE: '100000000',
    RATE_LIMIT_AUTHORIZATION_PER_MINUTE: '100000000',
    RATE_LIMIT_INTERACTION_PER_MINUTE: '100000000',
    LOG_LEVEL: 'info',
    // One process per server core unless a run asks for more.
    WEB_CONCURRENCY: String(options.workers ?? 1),
    ...options.env,
  };
  const cli = async (args: string[], stdin = ''): Promise<Record<string, unknown>> => {
    let out = '';
    let err = '';
    const code = await runCli([...args, '--json'], { env, stdout: (text) => (out += text), stderr: (text) => (err += text), readStdin: async () => stdin });
    if (code !== 0) throw new Error(`latchkey ${args.join(' ')}: ${err}`);
    return JSON.parse(out) as Record<string, unknown>;
  };
  await cli(['keys', 'generate']);
  await cli(['resources', 'create', '--identifier', RESOURCE, '--scope', 'read', '--format', 'jwt']);
  const service = await cli(['clients', 'create', '--name', 'Bench service', '--scope', 'openid', '--resource', RESOURCE]);
  const app = await cli(['clients', 'create', '--name', 'Bench app', '--first-party', '--redirect-uri', REDIRECT_URI, '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--scope', 'openid email offline_access']);
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const user = await cli(['users', 'create', '--email', email, '--password-stdin', '--with-totp'], `${BENCH_PASSWORD}\n`);
  const offered = (user.totp as { secret?: unknown } | undefined)?.secret;
  const totpSecret = typeof offered === 'string' ? offered : '';
  if (!totpSecret) throw new Error(`users create --with-totp gave no secret: ${JSON.stringify(user)}`);
  const profile = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = startPinned(options.cpus, [...profile, 'dist/main.js'], env);
  await waitUntilAnswering(`${env.ISSUER}/readyz`, { timeoutMs: START_TIMEOUT_MS });
  const url = env.ISSUER ?? '';
  const authorization = basicAuthorization(String(service.client_id), String(service.client_secret));
  const codeClient = { id: String(app.client_id), secret: String(app.client_secret) };
  const signIn = async (): Promise<Browser> => {
    const browser = new Browser(REDIRECT_URI);
    const first = await browser.open(authorizationUrl(url, codeClient, 'openid'));
    const login = requirePage(first, 'input[name="password"]');
    const second = requirePage(await browser.submit(login, { containing: 'input[name="password"]', fields: { email, password: BENCH_PASSWORD } }), 'input[name="code"]');
    const done = await browser.submit(second, { containing: 'input[name="code"]', fields: { code: await totpCode(totpSecret) } });
    if (!('redirectedTo' in done)) throw new Error(`sign-in did not reach the client: ${done.url}`);
    return browser;
  };
  // One sign-in per server: this user's TOTP steps are single-use.
  let signedIn: Promise<Browser> | undefined;
  const signedInBrowser = (): Promise<Browser> => (signedIn ??= signIn());
  return { name, child, profileDir, cli, env, target: { url, basic: authorization, opaqueToken: await clientCredentials(url, authorization), codeClient, signedInBrowser } };
}

function requirePage(result: Awaited<ReturnType<Browser['open']>>, selector: string): Exclude<typeof result, { redirectedTo: string }> {
  if ('redirectedTo' in result) throw new Error(`expected a page with ${selector}, was sent to ${result.redirectedTo}`);
  if (!result.document.querySelector(selector)) throw new Error(`expected a page with ${selector} at ${result.url} (${result.status})`);
  return result;
}

/** PKCE with one fixed verifier: each code is still single-use; the bench does not test PKCE. */
export const CODE_VERIFIER = 'bench-verifier-bench-verifier-bench-verifier-0123456789';
export const CODE_CHALLENGE = createHash('sha256').update(CODE_VERIFIER).digest('base64url');

export function authorizationUrl(issuer: string, client: CodeClient, scope: string, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ client_id: client.id, response_type: 'code', redirect_uri: REDIRECT_URI, scope, state: randomBytes(8).toString('hex'), code_challenge: CODE_CHALLENGE, code_challenge_method: 'S256', ...extra });
  return `${issuer}/auth?${params.toString()}`;
}

export type BareStore = 'memory' | 'redis';

export async function startBare(store: BareStore, cpus: string): Promise<RunningServer> {
  const port = await freePort();
  const child = startPinned(cpus, ['--import', 'tsx', 'bench/bare-provider.ts'], { PORT: String(port), BARE_STORE: store, REDIS_URL: process.env.REDIS_URL ?? '' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(`${url}/.well-known/openid-configuration`, { timeoutMs: START_TIMEOUT_MS });
  const authorization = basicAuthorization('bench', 'bench-secret');
  const codeClient = { id: 'bench', secret: 'bench-secret' };
  const signIn = async (): Promise<Browser> => {
    const browser = new Browser(REDIRECT_URI);
    const done = await browser.open(authorizationUrl(url, codeClient, 'openid'));
    if (!('redirectedTo' in done)) throw new Error(`bare sign-in did not reach the client: ${done.url} ${done.status}`);
    return browser;
  };
  let signedIn: Promise<Browser> | undefined;
  const signedInBrowser = (): Promise<Browser> => (signedIn ??= signIn());
  return { name: `bare oidc-provider (${store})`, child, profileDir: '', target: { url, basic: authorization, opaqueToken: await clientCredentials(url, authorization), codeClient, signedInBrowser } };
}
