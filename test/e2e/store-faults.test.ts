import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';

import { Browser, isPage } from '../support/browser.js';
import { basicAuthorization, registerClient } from '../support/register-client.js';
import { buildAuthorizationRequest, REDIRECT_URI, totpCode } from '../support/sign-in.js';
import { startPrivateFerretDb, startPrivateRedis, type PrivateStore } from '../support/private-stores.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PASSWORD = 'correct horse battery staple';
// A Redis call gives up after 1.5 s and a MongoDB one after about 2.5 s; a request may meet a
// stalled store up to three times in a row (its call, the audit spool, the error path).
// The bound is per HTTP request: a sign-in step (a form post and the redirects after it) is
// several requests, each of which may meet the stalled store.
const REQUEST_BOUND_MS = 6000;

interface Observation {
  readonly what: 'token' | 'sign-in step' | 'sign-in request';
  readonly phase: string;
  readonly status: number;
  readonly ms: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Redis and the MongoDB-protocol server are paused (SIGSTOP) and killed (SIGKILL) in turn
 * while clients ask for tokens and people sign in. Every answer must be a success or a 503
 * within the time bound, never a 500 and never a hang; service must come back by itself; and
 * every sign-in that completed must be in the audit trail.
 */
describe('store faults under load', () => {
  let redis: PrivateStore;
  let mongo: PrivateStore;
  let server: TestServer;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    mongo = await startPrivateFerretDb();
    server = await startTestServer({ configure: (config) => ({ ...config, redisUrl: redis.url, mongodbUri: mongo.url, clientCacheSeconds: 2 }) });
  });

  afterAll(async () => {
    await server.stop();
    await redis.close();
    await mongo.close();
  });

  it('answers only successes or 503s, recovers by itself, and loses no completed sign-in from the audit trail', async () => {
    const service = await server.container.clients.create({ name: 'Fault probe' });
    const app = await registerClient(server.container, { grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email', first_party: true });
    const config = await oidc.discovery(new URL(server.url), app.clientId, { client_secret: app.clientSecret }, oidc.ClientSecretBasic(app.clientSecret), { execute: [oidc.allowInsecureRequests] });
    const users = await Promise.all(Array.from({ length: 60 }, async () => {
      const email = `fault-${randomUUID()}@example.com`;
      const { account, totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
      return { id: account.id, email, secret: totp?.secret ?? '' };
    }));

    let phase = 'baseline';
    let running = true;
    const observations: Observation[] = [];
    const completed: string[] = [];

    const timed = async <T>(what: Observation['what'], work: () => Promise<T>, statusOf: (result: T) => number): Promise<T | undefined> => {
      const started = Date.now();
      const during = phase;
      try {
        const result = await work();
        observations.push({ what, phase: during, status: statusOf(result), ms: Date.now() - started });
        return result;
      } catch {
        // A timeout or a reset connection: recorded as status 0, which fails the test below.
        observations.push({ what, phase: during, status: 0, ms: Date.now() - started });
        return undefined;
      }
    };

    const tokenLoop = async (): Promise<void> => {
      while (running) {
        await timed('token', () => fetch(`${server.url}/token`, {
          method: 'POST',
          headers: { authorization: basicAuthorization(String(service.metadata.client_id), service.clientSecret ?? ''), 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
          signal: AbortSignal.timeout(REQUEST_BOUND_MS + 2000),
        }).then(async (response) => {
          await response.arrayBuffer();
          return response;
        }), (response) => response.status);
        await sleep(25);
      }
    };

    const signInLoop = async (): Promise<void> => {
      for (const user of users) {
        if (!running) return;
        const startedIn = phase;
        const browser = new Browser(REDIRECT_URI).withTimeout(REQUEST_BOUND_MS + 2000)
          .onResponse((exchange) => observations.push({ what: 'sign-in request', phase: startedIn, status: exchange.status, ms: exchange.ms }));
        const request = await buildAuthorizationRequest(config, { scope: 'openid email' });
        const statusOf = (result: Awaited<ReturnType<Browser['open']>>): number => (isPage(result) ? result.status : 302);
        const login = await timed('sign-in step', () => browser.open(request.url), statusOf);
        if (!login || !isPage(login) || !login.document.querySelector('input[name="password"]')) continue;
        const second = await timed('sign-in step', () => browser.submit(login, { containing: 'input[name="password"]', fields: { email: user.email, password: PASSWORD } }), statusOf);
        if (!second || !isPage(second) || !second.document.querySelector('input[name="code"]')) continue;
        const done = await timed('sign-in step', async () => browser.submit(second, { containing: 'input[name="code"]', fields: { code: await totpCode(user.secret) } }), statusOf);
        if (done && !isPage(done) && new URL(done.redirectedTo).searchParams.has('code')) completed.push(user.id);
        await sleep(100);
      }
    };

    const load = Promise.all([tokenLoop(), tokenLoop(), signInLoop()]);
    const during = async (name: string, ms: number): Promise<void> => {
      phase = name;
      await sleep(ms);
    };

    await during('baseline', 2000);
    redis.pause();
    // Longer than the bound: a client that waited for a stalled store would show here.
    await during('redis paused', 8000);
    redis.resume();
    await during('redis resumed', 3000);
    await redis.kill();
    await during('redis killed', 2500);
    await redis.restart();
    await during('redis restarted', 4000);
    mongo.pause();
    await during('mongodb paused', 8000);
    mongo.resume();
    await during('mongodb resumed', 3000);
    await mongo.kill();
    await during('mongodb killed', 2500);
    await mongo.restart();
    await during('mongodb restarted', 6000);
    running = false;
    await load;

    // Never a 500, never anything but success or 503 (429 cannot happen at these rates).
    const unexpected = observations.filter((seen) => seen.status !== 503 && !(seen.status >= 200 && seen.status < 400));
    expect(unexpected).toEqual([]);
    // Never a hang: every answer to every request came within the bound.
    expect(observations.filter((seen) => seen.what !== 'sign-in step' && seen.ms > REQUEST_BOUND_MS)).toEqual([]);
    // The sign-in requests were seen one by one (else the bound above would prove nothing for them).
    expect(observations.filter((seen) => seen.what === 'sign-in request').length).toBeGreaterThan(observations.filter((seen) => seen.what === 'sign-in step').length);
    // The faults did bite, and the service answered them as 503.
    expect(observations.filter((seen) => seen.status === 503).length).toBeGreaterThan(0);
    // Automatic recovery: the last phase ends with tokens being issued again.
    const lastTokens = observations.filter((seen) => seen.what === 'token' && seen.phase === 'mongodb restarted').slice(-10);
    expect(lastTokens.length).toBeGreaterThan(0);
    expect(lastTokens.every((seen) => seen.status === 200)).toBe(true);
    expect(completed.length).toBeGreaterThan(5);

    // Every completed sign-in is in the audit trail (spooled events drain once MongoDB is back).
    const deadline = Date.now() + 10_000;
    let recorded = new Set<string>();
    while (Date.now() < deadline) {
      await server.container.audit.flush();
      const events = await server.container.auditStore.query({ type: 'login.succeeded', limit: 500 });
      recorded = new Set(events.map((event) => event.accountId ?? ''));
      if (completed.every((id) => recorded.has(id))) break;
      await sleep(250);
    }
    expect(completed.filter((id) => !recorded.has(id))).toEqual([]);
  }, 120_000);
});
