import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';

import { Browser, expectPage, expectRedirect, isPage } from '../support/browser.js';
import { registerClient } from '../support/register-client.js';
import { approveConsent, buildAuthorizationRequest, openLogin, redeem, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';
const LOGGED_OUT = 'http://127.0.0.1:9/logged-out';

/**
 * Consent is remembered per (account, client), but every browser session gets a grant of its
 * own: what one device does to its grant (sign out, a refresh token replayed) stays there.
 */
describe('a grant per device', () => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    const client = await registerClient(server.container, {
      client_name: 'Two Devices',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [LOGGED_OUT],
      scope: 'openid email profile offline_access',
    });
    config = await oidc.discovery(new URL(server.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), insecure);
  });

  afterAll(async () => {
    await server.stop();
  });

  /** One device: a browser that signs in (approving consent when asked) and redeems the code. */
  async function signInOnDevice(user: { email: string; secret: string }, step: number, params: Record<string, string> = { scope: 'openid email offline_access', prompt: 'consent' }): Promise<{ browser: Browser; tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers; sawConsent: boolean }> {
    const browser = new Browser(REDIRECT_URI, LOGGED_OUT);
    const request = await buildAuthorizationRequest(config, params);
    const second = await submitPassword(browser, await openLogin(browser, request), user.email, PASSWORD);
    const after = await submitCode(browser, second, await totpCode(user.secret, step));
    const sawConsent = isPage(after);
    const callback = isPage(after) ? await approveConsent(browser, after) : after.redirectedTo;
    return { browser, tokens: await redeem(config, callback, request), sawConsent };
  }

  async function active(token: string): Promise<boolean> {
    return Boolean((await oidc.tokenIntrospection(config, token)).active);
  }

  async function createUser(): Promise<{ email: string; secret: string }> {
    const email = `devices-${randomUUID()}@example.com`;
    const { totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    return { email, secret: totp?.secret ?? '' };
  }

  it('remembers consent across devices without sharing one grant, so signing out on one leaves the other signed in', async () => {
    const user = await createUser();
    // Without offline_access, signing out ends the device's tokens (with it they would outlive
    // the session, as OpenID Connect says offline access does).
    const phone = await signInOnDevice(user, -1, { scope: 'openid email' });
    const laptop = await signInOnDevice(user, 0);
    expect(phone.sawConsent).toBe(true);
    expect(laptop.tokens.refresh_token).toEqual(expect.any(String));

    const endSession = oidc.buildEndSessionUrl(config, { id_token_hint: phone.tokens.id_token ?? '', post_logout_redirect_uri: LOGGED_OUT });
    const confirm = expectPage(await phone.browser.open(endSession.toString()));
    expectRedirect(await phone.browser.submit(confirm, { containing: 'input[name="xsrf"]', button: { name: 'logout', value: 'yes' } }));

    expect(await active(phone.tokens.access_token)).toBe(false);
    expect(await active(laptop.tokens.access_token)).toBe(true);
    const refreshed = await oidc.refreshTokenGrant(config, laptop.tokens.refresh_token ?? '');
    expect(await active(refreshed.access_token)).toBe(true);
  });

  it('ends only the replaying device\'s tokens when a refresh token is used twice', async () => {
    const user = await createUser();
    const phone = await signInOnDevice(user, -1);
    const laptop = await signInOnDevice(user, 0);

    const rotated = await oidc.refreshTokenGrant(config, phone.tokens.refresh_token ?? '');
    await expect(oidc.refreshTokenGrant(config, phone.tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await active(rotated.access_token)).toBe(false);

    expect(await active(laptop.tokens.access_token)).toBe(true);
    expect((await oidc.refreshTokenGrant(config, laptop.tokens.refresh_token ?? '')).access_token).toEqual(expect.any(String));
  });

  it('skips the consent page on a new device for what was consented before', async () => {
    const user = await createUser();
    await signInOnDevice(user, -1);
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email' });
    const second = await submitPassword(browser, await openLogin(browser, request), user.email, PASSWORD);
    const tokens = await redeem(config, expectRedirect(await submitCode(browser, second, await totpCode(user.secret))), request);
    expect((await oidc.fetchUserInfo(config, tokens.access_token, String(tokens.claims()?.sub))).email).toBe(user.email);
  });
});
