import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

import { Browser, expectPage, expectRedirect } from '../support/browser.js';
import { buildAuthorizationRequest, redeem, REDIRECT_URI, signIn } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';
const LOGGED_OUT_URI = 'http://127.0.0.1:9/logged-out';

/** A relying party's back-channel logout endpoint: records every logout token it is sent. */
async function startLogoutReceiver(): Promise<{ url: string; tokens: string[]; server: Server }> {
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) tokens.push(token);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`, tokens, server };
}

describe('back-channel logout (OpenID Connect Back-Channel Logout 1.0)', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;

  beforeAll(async () => {
    receiver = await startLogoutReceiver();
    // The relying party is on loopback, which the provider refuses unless the operator lists it.
    server = await startTestServer({ env: { PRIVATE_NETWORK_HOSTS: '127.0.0.1' } });
  });

  afterAll(async () => {
    await server.stop();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  it('tells a client whose session ended, with a signed logout token naming the user and the session', async () => {
    const initialAccessToken = await new server.container.provider.InitialAccessToken({}).save();
    const config = await oidc.dynamicClientRegistration(new URL(server.url), {
      client_name: 'Back-channel RP',
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [LOGGED_OUT_URI],
      backchannel_logout_uri: receiver.url,
      backchannel_logout_session_required: true,
      scope: 'openid email',
    }, oidc.ClientSecretBasic(), { ...insecure, initialAccessToken });
    const { account, totp } = await server.container.accounts.createAccount({ email: `bcl-${randomUUID()}@example.com`, password: PASSWORD, withTotp: true });

    const browser = new Browser(REDIRECT_URI, LOGGED_OUT_URI);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email' });
    const consent = await signIn(browser, request, { email: account.email, password: PASSWORD, totpSecret: totp?.secret ?? '' }, 0);
    if (typeof consent === 'string') throw new Error('expected the consent page');
    const callback = expectRedirect(await browser.submit(consent, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } }));
    const tokens = await redeem(config, callback, request);
    const sid = tokens.claims()?.sid;
    expect(sid).toEqual(expect.any(String));

    const confirm = expectPage(await browser.open(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: LOGGED_OUT_URI }).toString()));
    expectRedirect(await browser.submit(confirm, { containing: 'input[name="xsrf"]', button: { name: 'logout', value: 'yes' } }));

    expect(receiver.tokens).toHaveLength(1);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(receiver.tokens[0] ?? '', jwks, { issuer: server.url, audience: config.clientMetadata().client_id });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload).toMatchObject({ sub: account.id, sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    expect(payload).not.toHaveProperty('nonce');
    expect(decodeJwt(receiver.tokens[0] ?? '').jti).toEqual(expect.any(String));
  });

  it('refuses a back-channel logout URI on a private address that the operator did not list', async () => {
    const other = await startTestServer();
    try {
      const initialAccessToken = await new other.container.provider.InitialAccessToken({}).save();
      const config = await oidc.dynamicClientRegistration(new URL(other.url), {
        client_name: 'Inside job', redirect_uris: [REDIRECT_URI], post_logout_redirect_uris: [LOGGED_OUT_URI], backchannel_logout_uri: receiver.url, scope: 'openid email',
      }, oidc.ClientSecretBasic(), { ...insecure, initialAccessToken });
      const { account, totp } = await other.container.accounts.createAccount({ email: `bcl-${randomUUID()}@example.com`, password: PASSWORD, withTotp: true });
      const browser = new Browser(REDIRECT_URI, LOGGED_OUT_URI);
      const request = await buildAuthorizationRequest(config, { scope: 'openid email' });
      const consent = await signIn(browser, request, { email: account.email, password: PASSWORD, totpSecret: totp?.secret ?? '' }, 0);
      if (typeof consent === 'string') throw new Error('expected the consent page');
      const tokens = await redeem(config, expectRedirect(await browser.submit(consent, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } })), request);
      const before = receiver.tokens.length;
      const confirm = expectPage(await browser.open(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: LOGGED_OUT_URI }).toString()));
      // The logout itself completes for the user; only the call to the private address is refused.
      expect(expectRedirect(await browser.submit(confirm, { containing: 'input[name="xsrf"]', button: { name: 'logout', value: 'yes' } }))).toBe(LOGGED_OUT_URI);
      expect(receiver.tokens.length).toBe(before);
    } finally {
      await other.stop();
    }
  });
});
