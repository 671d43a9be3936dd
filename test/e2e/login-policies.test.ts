import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';

import { Browser, expectPage, expectRedirect } from '../support/browser.js';
import { registerClient } from '../support/register-client.js';
import { buildAuthorizationRequest, redeem, REDIRECT_URI, signIn } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';
const LOGGED_OUT_URI = 'http://127.0.0.1:9/logged-out';

describe('first-party clients and logout', () => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    const client = await registerClient(server.container, {
      client_name: 'Our Own App',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [LOGGED_OUT_URI],
      scope: 'openid email profile',
      first_party: true,
    });
    config = await oidc.discovery(new URL(server.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), insecure);
  });

  afterAll(async () => {
    await server.stop();
  });

  it('signs a user in to a first-party client without a consent page, then logs out after confirmation', async () => {
    const { account, totp } = await server.container.accounts.createAccount({ email: 'own@example.com', password: PASSWORD, withTotp: true });
    const browser = new Browser(REDIRECT_URI, LOGGED_OUT_URI);
    const request = await buildAuthorizationRequest(config);
    const callback = await signIn(browser, request, { email: account.email, password: PASSWORD, totpSecret: totp?.secret ?? '' }, 0);
    if (typeof callback !== 'string') throw new Error(`expected no consent page, got:\n${callback.html}`);
    const tokens = await redeem(config, callback, request);
    expect(tokens.claims()).toMatchObject({ sub: account.id });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, account.id)).toMatchObject({ email: 'own@example.com' });

    const endSession = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: LOGGED_OUT_URI, state: 'bye' });
    const confirm = expectPage(await browser.open(endSession.toString()));
    expect(confirm.html).toContain('Sign out');
    expect(confirm.document.querySelector('button[name="logout"][value="yes"]')).not.toBeNull();
    const landed = expectRedirect(await browser.submit(confirm, { containing: 'input[name="xsrf"]', button: { name: 'logout', value: 'yes' } }));
    expect(landed).toBe(`${LOGGED_OUT_URI}?state=bye`);

    // The session is gone: a new authorization asks for the password again.
    const again = expectPage(await browser.open((await buildAuthorizationRequest(config)).url));
    expect(again.document.querySelector('input[name="password"]')).not.toBeNull();
  });

  it('signs out of one application only, leaving the account signed in, when the person chooses so', async () => {
    const { account, totp } = await server.container.accounts.createAccount({ email: `only-${randomUUID()}@example.com`, password: PASSWORD, withTotp: true });
    const browser = new Browser(REDIRECT_URI, LOGGED_OUT_URI);
    const request = await buildAuthorizationRequest(config);
    const callback = await signIn(browser, request, { email: account.email, password: PASSWORD, totpSecret: totp?.secret ?? '' }, 0);
    if (typeof callback !== 'string') throw new Error('expected no consent page');
    const tokens = await redeem(config, callback, request);

    const confirm = expectPage(await browser.open(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '' }).toString()));
    expect(confirm.html).toContain('Sign out of Our Own App only');
    const onlyThisApp = expectPage(await browser.submit(confirm, { containing: 'input[name="xsrf"]', fields: {} }));
    expect(onlyThisApp.html).toContain('You are signed out of Our Own App');
    expect(onlyThisApp.html).toContain('still signed in');
    // Still signed in: the next authorization needs no password.
    const again = await browser.open((await buildAuthorizationRequest(config)).url);
    expect('redirectedTo' in again && new URL(again.redirectedTo).searchParams.has('code')).toBe(true);
  });

  it('refuses first_party through dynamic registration', async () => {
    const initialAccessToken = await new server.container.provider.InitialAccessToken({}).save();
    const response = await fetch(`${server.url}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${initialAccessToken}` },
      body: JSON.stringify({ redirect_uris: ['https://rp.example.com/cb'], first_party: true }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_client_metadata' });
  });
});

describe('per-IP rate limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ configure: (config) => ({ ...config, rateLimit: { interactionPostsPerMinute: 3, authorizationRequestsPerMinute: 3, tokenRequestsPerMinute: 3 } }) });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers the fourth login POST in a minute with 429 and Retry-After', async () => {
    const post = (): Promise<Response> => fetch(`${server.url}/interaction/some-uid/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'email=a%40example.com&password=x',
    });
    for (let i = 0; i < 3; i += 1) expect((await post()).status).not.toBe(429);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const page = await limited.text();
    expect(page).toContain('data-error="too_many_requests"');
    // The page says how long to wait, as the header does.
    expect(page).toMatch(/Try again in \d+ (second|minute)s?\./);
  });

  it('bounds the authorization requests of one address, and with them the sign-ins it can leave in Redis', async () => {
    const client = await registerClient(server.container, { grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email' });
    const url = `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid email', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await fetch(url, { redirect: 'manual' })).status);
    expect(statuses).toEqual([303, 303, 303, 429, 429]);
    const redis = new Redis(server.container.config.redisUrl ?? '');
    try {
      const keys = await redis.keys(`${server.container.config.redisKeyPrefix}Interaction:*`);
      expect(keys).toHaveLength(3);
      // A sign-in in progress lasts as long as a person needs, not an hour.
      for (const key of keys) expect(await redis.ttl(key)).toBeLessThanOrEqual(600);
    } finally {
      await redis.quit();
    }
  });

  it('answers the fourth token request in a minute with 429 JSON and Retry-After', async () => {
    const post = (): Promise<Response> => fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    for (let i = 0; i < 3; i += 1) expect((await post()).status).toBe(400);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toEqual({ error: 'too_many_requests', error_description: 'Too many requests. Wait a moment and try again.' });
  });
});
