import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';

import { Browser, type Page } from '../support/browser.js';
import { basicAuthorization } from '../support/register-client.js';
import { approveConsent, buildAuthorizationRequest, openLogin, redeem, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';
const RESOURCE = 'https://api.round-trips.example.com';

/** Store commands by name ("redis get", "mongodb find"), as /metrics counts them. */
type Commands = Record<string, number>;

/**
 * Redis and MongoDB commands per operation on the paths `npm run bench` measures, counted from
 * /metrics as an operator sees them. Each costs the server CPU (on the bench machine about 40 µs
 * for a Redis command, 250-600 µs for a MongoDB find through the driver and mongoose) and the
 * request a round trip (a MULTI ... EXEC block is one), so a change that adds one to every token
 * or sign-in has to be a decision: when a count below changes on purpose, change it here and say
 * why in the commit. Unlike a rate, a count does not move with the machine's load.
 */
describe('Redis and MongoDB commands on the hot paths', () => {
  let server: TestServer;
  let service: { id: string; secret: string };
  let app: oidc.Configuration;
  // One enrolled person for every sign-in here, each sign-in with a TOTP step of its own.
  let person: { email: string; secret: string };
  let nextStep = -1;

  beforeAll(async () => {
    server = await startTestServer({
      // Nothing runs in the background during a count (no audit flush or spool drain, no key
      // re-read), and the client, resource and account caches outlast the suite.
      configure: (config) => ({ ...config, audit: { ...config.audit, flushIntervalMs: 3_600_000 }, clientCacheSeconds: 3600, signingKeys: { ...config.signingKeys, refreshSeconds: 3600 } }),
    });
    const { resources, clients } = server.container;
    await resources.create({ identifier: RESOURCE, scope: 'read', format: 'jwt' });
    const created = await clients.create({ name: 'Round trips service', scope: 'openid', resources: [RESOURCE] });
    service = { id: String(created.metadata.client_id), secret: created.clientSecret ?? '' };
    const web = await clients.create({ name: 'Round trips app', firstParty: true, redirectUris: [REDIRECT_URI], grantTypes: ['authorization_code', 'refresh_token'], scope: 'openid email offline_access' });
    app = await oidc.discovery(new URL(server.url), String(web.metadata.client_id), { client_secret: web.clientSecret ?? '' }, oidc.ClientSecretBasic(web.clientSecret ?? ''), insecure);
    const email = `round-trips-${randomUUID()}@example.com`;
    const { totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    person = { email, secret: totp?.secret ?? '' };
  });

  afterAll(async () => {
    await server.stop();
  });

  async function scrape(): Promise<Commands> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const counts: Commands = {};
    for (const match of text.matchAll(/^latchkey_(redis|mongodb)_command_duration_seconds_count\{command="([^"]+)",outcome="[^"]+"\} (\d+)$/gm)) {
      const [, store = '', command = '', value = '0'] = match;
      // The scrape's own: the audit spool's length is read for /metrics.
      if (store === 'redis' && command === 'xlen') continue;
      const name = `${store} ${command}`;
      counts[name] = (counts[name] ?? 0) + Number(value);
    }
    return counts;
  }

  /** Counts once two scrapes 50 ms apart agree, so that a command answered after the response is not missed. */
  async function settledCounts(): Promise<Commands> {
    let last = await scrape();
    for (let attempt = 0; attempt < 40; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const next = await scrape();
      if (JSON.stringify(next) === JSON.stringify(last)) return next;
      last = next;
    }
    throw new Error(`store commands kept coming for 2 s with nothing asked: ${JSON.stringify(last)}`);
  }

  async function commandsOf(action: () => Promise<unknown>): Promise<Commands> {
    const before = await settledCounts();
    await action();
    const after = await settledCounts();
    const spent: Commands = {};
    for (const [name, count] of Object.entries(after)) {
      const delta = count - (before[name] ?? 0);
      if (delta !== 0) spent[name] = delta;
    }
    return spent;
  }

  async function token(body: Record<string, string>): Promise<Record<string, unknown>> {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(service.id, service.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  async function introspect(accessToken: string): Promise<void> {
    const response = await fetch(`${server.url}/token/introspection`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(service.id, service.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: accessToken }),
    });
    expect(await response.json()).toMatchObject({ active: true });
  }

  /** A whole sign-in through the pages, each step counted: the login page, password, code (and back to the client), the code redeemed. */
  async function countedSignIn(params: Record<string, string> = {}): Promise<{ steps: Record<string, Commands>; tokens: oidc.TokenEndpointResponse }> {
    const { email, secret } = person;
    const step = nextStep;
    nextStep += 1;
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(app, { scope: 'openid email offline_access', ...params });
    let login: Page | undefined;
    let second: Page | undefined;
    let callback = '';
    let tokens: oidc.TokenEndpointResponse | undefined;
    const steps: Record<string, Commands> = {};
    steps.loginPage = await commandsOf(async () => (login = await openLogin(browser, request)));
    steps.password = await commandsOf(async () => (second = await submitPassword(browser, login as Page, email, PASSWORD)));
    steps.code = await commandsOf(async () => {
      const after = await submitCode(browser, second as Page, await totpCode(secret, step));
      callback = 'redirectedTo' in after ? after.redirectedTo : await approveConsent(browser, after);
    });
    steps.token = await commandsOf(async () => (tokens = await redeem(app, callback, request)));
    if (!tokens) throw new Error('no tokens');
    return { steps, tokens };
  }

  it('a client_credentials JWT costs one Redis command, its rate limit, and nothing in MongoDB', async () => {
    const jwt = { grant_type: 'client_credentials', scope: 'read', resource: RESOURCE };
    // The first fills the client and resource caches.
    await token(jwt);
    expect(await commandsOf(() => token(jwt))).toEqual({ 'redis evalsha': 1 });
  });

  it('an opaque token adds the one write that stores it, and introspecting it reads nothing but the token', async () => {
    const opaque = { grant_type: 'client_credentials' };
    await token(opaque);
    let accessToken = '';
    expect(await commandsOf(async () => (accessToken = String((await token(opaque)).access_token)))).toEqual({ 'redis evalsha': 1, 'redis set': 1 });
    // Without a token_type_hint oidc-provider looks the value up as each kind of token it could be, at once.
    await introspect(accessToken);
    expect(await commandsOf(() => introspect(accessToken))).toEqual({ 'redis get': 2, 'redis hmget': 1 });
  });

  it('a sign-in through the pages, step by step, once the caches know the client and the person', async () => {
    await countedSignIn();
    const { steps } = await countedSignIn();
    expect(steps).toEqual({
      // /auth stores the interaction (after its rate limit); the page reads it and the sign-in's own state.
      loginPage: { 'redis evalsha': 1, 'redis set': 1, 'redis get': 2 },
      // The account by email; the address and login throttles counted before the check and taken
      // back after it (two scripts each); the second-factor page.
      password: { 'redis evalsha': 5, 'redis set': 1, 'redis get': 3, 'mongodb find': 1 },
      // The account again (an administrator may have reset or disabled it meanwhile), the TOTP step
      // claimed once, the throttles, the audit event stored before the answer; then oidc-provider
      // resumes: session, grant and code, each indexed for revocation.
      code: {
        'redis evalsha': 9,
        'redis set': 5,
        'redis get': 5,
        'redis del': 4,
        'redis multi': 2,
        'redis exec': 2,
        'redis zrem': 1,
        'redis hset': 1,
        'redis expire': 1,
        'mongodb find': 1,
        'mongodb insert': 1,
      },
      // The code read, then consumed by a script; its session and grant; the access token stored and indexed.
      token: { 'redis evalsha': 3, 'redis set': 1, 'redis get': 3, 'redis hmget': 1 },
    });
  });

  it('a refresh with rotation', async () => {
    // offline_access needs prompt=consent; the first-party client is not asked.
    const { tokens } = await countedSignIn({ prompt: 'consent' });
    const rotated = await oidc.refreshTokenGrant(app, tokens.refresh_token ?? '');
    // The refresh token read and consumed, its grant, the new refresh and access tokens stored and indexed.
    expect(await commandsOf(() => oidc.refreshTokenGrant(app, rotated.refresh_token ?? ''))).toEqual({
      'redis evalsha': 4,
      'redis set': 1,
      'redis get': 1,
      'redis hmget': 1,
      'redis del': 1,
      'redis multi': 1,
      'redis exec': 1,
      'redis hset': 1,
      'redis expire': 1,
    });
  });
});
