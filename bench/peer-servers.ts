/**
 * The servers `npm run bench -- --peers` measures, behind one interface: Latchkey as it ships
 * (startLatchkey), ORY Hydra and Keycloak, each pinned to the server CPU and configured for the
 * same scenarios. scripts/build-peers.sh builds the peers; scripts/bench.sh passes their paths.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type autocannon from 'autocannon';

import { basicAuthorization } from '../test/support/register-client.js';
import { freePort, RESOURCE, startLatchkey, stopServer } from './bench-servers.js';
import { listKillTarget } from './kill-list.js';

export type ScenarioKey = 'opaque' | 'jwt' | 'introspection' | 'discovery' | 'jwks';

/** One server under load; `requests` lacks the scenarios it has no equivalent of (n/a). */
export interface Contender {
  readonly name: string;
  /** The table column it reports in; a variant (e.g. a cheaper hasher) gets rows of its own. */
  readonly column: 'latchkey' | 'hydra' | 'keycloak';
  readonly variant?: string;
  readonly requests: Partial<Record<ScenarioKey, () => Promise<autocannon.Options>>>;
  /**
   * At most this much more warm-up load per scenario, until the rate stops rising: a JVM on one
   * core compiles for minutes (Keycloak's discovery rate still rose 7-fold over 90 s here).
   */
  readonly warmUpUntilFlatSeconds: number;
  /** Version and build lines for the report. */
  readonly about: readonly string[];
  stop(): Promise<void>;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const run = promisify(execFile);

// Peers run in process groups of their own (kc.sh starts Java as a child), so that stopping a
// group stops the JVM too, and a driver that fails half-way leaves nothing on the server core.
const groups = new Set<number>();
process.once('exit', () => {
  for (const pgid of groups) killGroup(pgid, 'SIGKILL');
});

/** Where a peer keeps its files: bench.sh's state directory, which it removes on exit, if given. */
async function peerDir(prefix: string): Promise<string> {
  return mkdtemp(join(process.env.BENCH_PEER_STATE_DIR || tmpdir(), prefix));
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function spawnPinnedGroup(cpus: string, command: string, args: readonly string[], env: Record<string, string>, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  const child = spawn('taskset', ['-c', cpus, command, ...args], { env, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pgid = child.pid;
  groups.add(pgid);
  listKillTarget(`-${pgid}`, true);
  child.once('exit', () => {
    // The leader is gone; anything it left in its group goes too.
    killGroup(pgid, 'SIGKILL');
    groups.delete(pgid);
    listKillTarget(`-${pgid}`, false);
  });
  return child;
}

async function stopGroup(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && killGroup(child.pid, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A peer stopped, and its working directory (database, logs, config) removed. */
async function stopAndRemove(child: ChildProcess, dir: string): Promise<void> {
  await stopGroup(child);
  await rm(dir, { recursive: true, force: true });
}

async function tail(file: string, lines = 40): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls until `url` answers 2xx; fails early if the server exits, with the end of its log. */
async function waitUntilUp(url: string, child: ChildProcess, logFile: string, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (Date.now() < deadline) {
    // The first line is the reason (the report quotes it); the log's end follows for the console.
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before ${url} answered\n${await tail(logFile)}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutSeconds} s\n${await tail(logFile)}`);
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

async function accessToken(tokenUrl: string, authorization: string | undefined, body: string): Promise<string> {
  const response = await fetch(tokenUrl, { method: 'POST', headers: authorization ? { ...form, authorization } : form, body });
  const answer = (await response.json()) as { access_token?: unknown };
  if (typeof answer.access_token !== 'string') throw new Error(`no access token from ${tokenUrl}: ${JSON.stringify(answer)}`);
  return answer.access_token;
}

/** Latchkey as run-bench.ts measures it: production mode, Redis + FerretDB, rate limits and audit on. */
export async function startLatchkeyContender(cpus: string): Promise<Contender> {
  // startLatchkey lists it for bench.sh to kill, as it does every server it starts.
  const server = await startLatchkey('latchkey', { cpus });
  const { url, basic } = server.target;
  return {
    name: 'Latchkey',
    column: 'latchkey',
    warmUpUntilFlatSeconds: 0,
    about: [],
    requests: {
      opaque: async () => ({ url: `${url}/token`, method: 'POST', headers: { ...form, authorization: basic }, body: 'grant_type=client_credentials' }),
      jwt: async () => ({ url: `${url}/token`, method: 'POST', headers: { ...form, authorization: basic }, body: `grant_type=client_credentials&scope=read&resource=${encodeURIComponent(RESOURCE)}` }),
      // A token minted just before its scenario: the one startLatchkey minted could expire on a long run.
      introspection: async () => ({ url: `${url}/token/introspection`, method: 'POST', headers: { ...form, authorization: basic }, body: `token=${await accessToken(`${url}/token`, basic, 'grant_type=client_credentials')}` }),
      discovery: async () => ({ url: `${url}/.well-known/openid-configuration` }),
      jwks: async () => ({ url: `${url}/jwks` }),
    },
    stop: () => stopServer(server),
  };
}

export interface HydraOptions {
  readonly bin: string;
  readonly cpus: string;
  /** oauth2.hashers.pbkdf2.iterations; Hydra's default (25000) when absent. */
  readonly pbkdf2Iterations?: number;
}

/**
 * The SQLite DSN's options. A file, not DSN=memory: an in-memory database lives per connection
 * and loses its tables when the pool drops one under load. WAL lets readers run beside the one
 * writer; without it concurrent token inserts wait in SQLite's busy handler (sleeps of up to
 * 100 ms). synchronous=NORMAL: no fsync per commit, as Latchkey's bench Redis persists nothing.
 */
export const HYDRA_DSN_OPTIONS = process.env.BENCH_HYDRA_DSN_OPTIONS ?? '_fk=true&mode=rwc&_journal_mode=WAL&_synchronous=NORMAL';

export async function startHydra(options: HydraOptions): Promise<Contender> {
  const dir = await peerDir('latchkey-bench-hydra-');
  const publicPort = await freePort();
  const adminPort = await freePort();
  const publicUrl = `http://127.0.0.1:${publicPort}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const configFile = join(dir, 'hydra.json');
  const config = {
    dsn: `sqlite://${join(dir, 'hydra.sqlite')}?${HYDRA_DSN_OPTIONS}`,
    // Hydra logs two lines per request at info; warn keeps its console out of the measurement.
    log: { level: 'warn' },
    serve: { public: { host: '127.0.0.1', port: publicPort }, admin: { host: '127.0.0.1', port: adminPort } },
    urls: { self: { issuer: `${publicUrl}/` } },
    secrets: { system: [randomBytes(24).toString('hex')] },
    sqa: { opt_out: true },
    ...(options.pbkdf2Iterations === undefined ? {} : { oauth2: { hashers: { algorithm: 'pbkdf2', pbkdf2: { iterations: options.pbkdf2Iterations } } } }),
  };
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const env = { PATH: process.env.PATH ?? '', HOME: dir };
  await run(options.bin, ['migrate', 'sql', 'up', '--read-from-env', '--yes', '--config', configFile], { env });
  const logFile = join(dir, 'hydra.log');
  // --dev: the issuer is plain http on loopback, which Hydra otherwise refuses.
  const child = spawnPinnedGroup(options.cpus, options.bin, ['serve', 'all', '--dev', '--sqa-opt-out', '--config', configFile], env, logFile);
  try {
    await waitUntilUp(`${adminUrl}/health/ready`, child, logFile, 60);
    const secret = randomBytes(16).toString('hex');
    const client = (id: string, extra: Record<string, unknown>): Promise<Record<string, unknown>> =>
      postJson(`${adminUrl}/admin/clients`, { client_id: id, client_secret: secret, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read', audience: [RESOURCE], ...extra });
    await client('bench-opaque', {});
    await client('bench-jwt', { access_token_strategy: 'jwt' });
    const opaque = basicAuthorization('bench-opaque', secret);
    const jwt = basicAuthorization('bench-jwt', secret);
    const tokenUrl = `${publicUrl}/oauth2/token`;
    // Hydra generates its RSA-4096 key sets on first use, which takes tens of seconds on a slow
    // core, and concurrent first requests fail with server_error meanwhile: generate them now.
    await accessToken(tokenUrl, jwt, `grant_type=client_credentials&scope=read&audience=${encodeURIComponent(RESOURCE)}`);
    if (!(await fetch(`${publicUrl}/.well-known/jwks.json`)).ok) throw new Error('Hydra did not serve its JWKS');
    const { stdout } = await run(options.bin, ['version'], { env });
    const version = /Version:\s*(\S+)/.exec(stdout)?.[1] ?? 'unknown';
    const goVersion = await run('go', ['version', options.bin]).then(({ stdout: out }) => out.trim().split(' ').pop() ?? '', () => '');
    const fast = options.pbkdf2Iterations !== undefined;
    const tokenRequests = {
      opaque: async (): Promise<autocannon.Options> => ({ url: tokenUrl, method: 'POST', headers: { ...form, authorization: opaque }, body: 'grant_type=client_credentials' }),
      // Hydra takes the audience parameter where Latchkey takes a resource indicator.
      jwt: async (): Promise<autocannon.Options> => ({ url: tokenUrl, method: 'POST', headers: { ...form, authorization: jwt }, body: `grant_type=client_credentials&scope=read&audience=${encodeURIComponent(RESOURCE)}` }),
    };
    return {
      name: fast ? `Hydra, PBKDF2 at ${options.pbkdf2Iterations} iteration(s)` : 'Hydra',
      column: 'hydra',
      ...(fast ? { variant: `Hydra's client secrets hashed with PBKDF2 at ${options.pbkdf2Iterations} iteration(s)` } : {}),
      warmUpUntilFlatSeconds: 0,
      about: fast ? [] : [`${version} (built with ${goVersion || 'go'}, -tags sqlite,sqlite_omit_load_extension), \`hydra serve all --dev\`, SQLite file DSN options \`${HYDRA_DSN_OPTIONS}\`, log level warn`],
      // The variant differs only in client authentication: its other scenarios would repeat Hydra's.
      requests: fast
        ? tokenRequests
        : {
            ...tokenRequests,
            // The admin port's introspection endpoint, which takes no client authentication.
            introspection: async () => ({ url: `${adminUrl}/admin/oauth2/introspect`, method: 'POST', headers: form, body: `token=${await accessToken(tokenUrl, opaque, 'grant_type=client_credentials')}` }),
            discovery: async () => ({ url: `${publicUrl}/.well-known/openid-configuration` }),
            jwks: async () => ({ url: `${publicUrl}/.well-known/jwks.json` }),
          },
      stop: () => stopAndRemove(child, dir),
    };
  } catch (error) {
    await stopAndRemove(child, dir);
    throw error;
  }
}

export interface KeycloakOptions {
  readonly home: string;
  readonly javaHome: string;
  readonly cpus: string;
  readonly startTimeoutSeconds: number;
  readonly warmUpSeconds: number;
}

const REALM = 'bench';

export async function startKeycloak(options: KeycloakOptions): Promise<Contender> {
  const dir = await peerDir('latchkey-bench-keycloak-');
  const port = await freePort();
  const managementPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminPassword = randomBytes(16).toString('hex');
  const env: Record<string, string> = {
    PATH: `${options.javaHome}/bin:${process.env.PATH ?? ''}`,
    HOME: dir,
    JAVA_HOME: options.javaHome,
    KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
    KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    // kc.sh's own default (-Xms64m -Xmx512m, G1) unless the run asks for another heap.
    ...(process.env.BENCH_KEYCLOAK_HEAP ? { JAVA_OPTS_KC_HEAP: process.env.BENCH_KEYCLOAK_HEAP } : {}),
  };
  const logFile = join(dir, 'keycloak.log');
  const args = [
    'start',
    '--optimized',
    '--http-enabled=true',
    '--hostname-strict=false',
    '--http-host=127.0.0.1',
    `--http-port=${port}`,
    `--http-management-port=${managementPort}`,
    // One node: no JGroups discovery, which would also listen on ports 7800 and 57800 of every interface.
    '--cache=local',
    // The dev-file (H2) database, in this run's directory instead of the shared install.
    `--db-url=jdbc:h2:file:${join(dir, 'keycloakdb')};NON_KEYWORDS=VALUE`,
    '--log-level=warn',
  ];
  const child = spawnPinnedGroup(options.cpus, join(options.home, 'bin', 'kc.sh'), args, env, logFile);
  try {
    await waitUntilUp(`${url}/realms/master`, child, logFile, options.startTimeoutSeconds);
    const admin = await accessToken(`${url}/realms/master/protocol/openid-connect/token`, undefined, `grant_type=password&client_id=admin-cli&username=admin&password=${adminPassword}`);
    const bearer = { authorization: `Bearer ${admin}` };
    // An hour, like Hydra's default: Keycloak's 5 minutes could expire the introspected token mid-run.
    await postJson(`${url}/admin/realms`, { realm: REALM, enabled: true, accessTokenLifespan: 3600 }, bearer);
    const secret = randomBytes(16).toString('hex');
    await postJson(
      `${url}/admin/realms/${REALM}/clients`,
      {
        clientId: 'bench',
        secret,
        publicClient: false,
        clientAuthenticatorType: 'client-secret',
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
        directAccessGrantsEnabled: false,
        // Keycloak introspects a token only for a client in its audience.
        protocolMappers: [
          {
            name: 'bench audience',
            protocol: 'openid-connect',
            protocolMapper: 'oidc-audience-mapper',
            config: { 'included.client.audience': 'bench', 'access.token.claim': 'true', 'id.token.claim': 'false', 'introspection.token.claim': 'true' },
          },
        ],
      },
      bearer,
    );
    const basic = basicAuthorization('bench', secret);
    const oidc = `${url}/realms/${REALM}/protocol/openid-connect`;
    const javaVersion = await run(join(options.javaHome, 'bin', 'java'), ['-version']).then(({ stderr }) => stderr.split('\n')[0]?.trim() ?? '', () => '');
    const version = readFileSync(join(options.home, 'version.txt'), 'utf8').trim().replace(/^Keycloak - Version /, '');
    return {
      name: 'Keycloak',
      column: 'keycloak',
      warmUpUntilFlatSeconds: options.warmUpSeconds,
      about: [`${version} (keycloak-quarkus-dist), \`kc.sh build --db=dev-file\`, \`start --optimized --cache=local\`, log level warn, heap ${process.env.BENCH_KEYCLOAK_HEAP ?? "kc.sh's default (-Xms64m -Xmx512m, G1)"}, on ${javaVersion || options.javaHome}`],
      requests: {
        // Keycloak issues JWT access tokens only.
        jwt: async () => ({ url: `${oidc}/token`, method: 'POST', headers: { ...form, authorization: basic }, body: 'grant_type=client_credentials' }),
        introspection: async () => ({ url: `${oidc}/token/introspect`, method: 'POST', headers: { ...form, authorization: basic }, body: `token=${await accessToken(`${oidc}/token`, basic, 'grant_type=client_credentials')}` }),
        discovery: async () => ({ url: `${url}/realms/${REALM}/.well-known/openid-configuration` }),
        jwks: async () => ({ url: `${oidc}/certs` }),
      },
      stop: () => stopAndRemove(child, dir),
    };
  } catch (error) {
    await stopAndRemove(child, dir);
    throw error;
  }
}
