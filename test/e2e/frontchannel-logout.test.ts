import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';

import { chromium } from 'playwright-core';
import * as oidc from 'openid-client';

import { Browser, expectPage, expectRedirect } from '../support/browser.js';
import { buildAuthorizationRequest, redeem, signIn } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** A relying party on loopback: its callback, its front-channel logout URI, its signed-out page; every request recorded. */
async function startRelyingParty(): Promise<{ origin: string; hits: URL[]; server: Server }> {
  const hits: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    hits.push(url);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>RP</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

describe('front-channel logout (OpenID Connect Front-Channel Logout 1.0)', () => {
  let server: TestServer;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;

  beforeAll(async () => {
    rp = await startRelyingParty();
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.stop();
    await new Promise((resolve) => rp.server.close(resolve));
  });

  async function register(metadata: Partial<oidc.ClientMetadata>): Promise<oidc.Configuration> {
    const initialAccessToken = await new server.container.provider.InitialAccessToken({}).save();
    return oidc.dynamicClientRegistration(new URL(server.url), { client_name: 'Front-channel RP', redirect_uris: [`${rp.origin}/callback`], scope: 'openid email', ...metadata }, oidc.ClientSecretBasic(), { ...insecure, initialAccessToken });
  }

  it('loads the client\'s logout URI with iss and sid in a real browser, then goes on to where the logout was headed', async () => {
    expect(await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()).toMatchObject({ frontchannel_logout_supported: true, frontchannel_logout_session_supported: true });
    const config = await register({
      post_logout_redirect_uris: [`${rp.origin}/logged-out`],
      frontchannel_logout_uri: `${rp.origin}/frontchannel-logout`,
      frontchannel_logout_session_required: true,
    });
    const { account, totp } = await server.container.accounts.createAccount({ email: `fcl-${randomUUID()}@example.com`, password: PASSWORD, withTotp: true });
    const browser = new Browser(`${rp.origin}/callback`, `${rp.origin}/logged-out`);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email', redirect_uri: `${rp.origin}/callback` });
    const consent = await signIn(browser, request, { email: account.email, password: PASSWORD, totpSecret: totp?.secret ?? '' }, 0);
    if (typeof consent === 'string') throw new Error('expected the consent page');
    const callback = expectRedirect(await browser.submit(consent, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } }));
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state });
    const sid = String(tokens.claims()?.sid ?? '');
    expect(sid).not.toBe('');

    // The same browser session, handed to Chromium: its cookies for the IdP.
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_BIN (npm test does both)`);
    const chrome = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    try {
      const context = await chrome.newContext();
      const cookies = browser.cookiesFor(server.url).split('; ').filter(Boolean).map((pair) => {
        const at = pair.indexOf('=');
        return { name: pair.slice(0, at), value: pair.slice(at + 1), url: server.url };
      });
      await context.addCookies(cookies);
      const page = await context.newPage();
      await page.goto(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: `${rp.origin}/logged-out` }).toString());
      await Promise.all([page.waitForURL(`${rp.origin}/logged-out**`, { timeout: 10_000 }), page.click('button[name=logout][value=yes]')]);
    } finally {
      await chrome.close();
    }
    const frontchannel = rp.hits.filter((hit) => hit.pathname === '/frontchannel-logout');
    expect(frontchannel).toHaveLength(1);
    expect(frontchannel[0]?.searchParams.get('iss')).toBe(server.url);
    expect(frontchannel[0]?.searchParams.get('sid')).toBe(sid);
    // The session is over: the same session cookie no longer signs anyone in.
    const again = await buildAuthorizationRequest(config, { scope: 'openid email', redirect_uri: `${rp.origin}/callback` });
    expect(expectPage(await browser.open(again.url)).document.querySelector('input[name="password"]')).not.toBeNull();
  }, 30_000);

  it('writes the logout page with a frame per client and a frame-src for its origin only', async () => {
    const config = await register({ frontchannel_logout_uri: `${rp.origin}/frontchannel-logout`, frontchannel_logout_session_required: true });
    const { account, totp } = await server.container.accounts.createAccount({ email: `fcl-${randomUUID()}@example.com`, password: PASSWORD, withTotp: true });
    const browser = new Browser(`${rp.origin}/callback`);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email', redirect_uri: `${rp.origin}/callback` });
    const consent = await signIn(browser, request, { email: account.email, password: PASSWORD, totpSecret: totp?.secret ?? '' }, 1);
    if (typeof consent === 'string') throw new Error('expected the consent page');
    const tokens = await redeem(config, expectRedirect(await browser.submit(consent, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } })), request);

    const confirm = expectPage(await browser.open(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '' }).toString()));
    const response = await fetch(new URL(confirm.document.querySelector('form')?.getAttribute('action') ?? '', confirm.url), {
      method: 'POST',
      headers: { cookie: browser.cookiesFor(server.url), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: confirm.document.querySelector('input[name="xsrf"]')?.getAttribute('value') ?? '', logout: 'yes' }),
      redirect: 'manual',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain(`frame-src ${rp.origin}`);
    const html = await response.text();
    expect(html).toContain(`src="${rp.origin}/frontchannel-logout?iss=${encodeURIComponent(server.url)}&amp;sid=${String(tokens.claims()?.sid)}"`);
    expect(html).toMatch(/<meta http-equiv="refresh" content="2;url=[^"]*\/session\/end\/success"/);
  });

  it.each([
    ['on another origin than its redirect URIs', 'https://elsewhere.example.com/logout'],
    ['over plain http off loopback', 'http://rp.example.com/logout'],
    ['with a fragment', 'RP#frag'],
  ])('refuses a front-channel logout URI %s', async (_name, uri) => {
    await expect(register({ frontchannel_logout_uri: uri.replace('RP', `${rp.origin}/logout`) })).rejects.toMatchObject({ error: 'invalid_client_metadata' });
  });
});
