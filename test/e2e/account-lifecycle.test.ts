import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';

import type { Container } from '../../src/container.js';
import { Browser, expectPage, isPage } from '../support/browser.js';
import { basicAuthorization, registerClient, type RegisteredClient } from '../support/register-client.js';
import { approveConsent, buildAuthorizationRequest, openLogin, redeem, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { startTestCluster, type TestCluster } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';

/**
 * What an administrator does to an account takes effect at once, on every instance: disabling,
 * deleting, a new password or a reset authenticator end its sessions, grants and tokens, and a
 * sign-in already under way gets no further.
 */
describe('account changes end what the account has open, on every instance', () => {
  let cluster: TestCluster;
  let admin: Container;
  let client: RegisteredClient;
  let config: oidc.Configuration;

  beforeAll(async () => {
    cluster = await startTestCluster({ instances: 2 });
    const [, second] = cluster.containers;
    if (!second) throw new Error('expected two instances');
    admin = second;
    client = await registerClient(second, {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      scope: 'openid email offline_access',
    });
    config = await oidc.discovery(new URL(cluster.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), insecure);
  });

  afterAll(async () => {
    await cluster.stop();
  });

  async function createUser(): Promise<{ id: string; email: string; secret: string }> {
    const email = `lifecycle-${randomUUID()}@example.com`;
    const { account, totp } = await admin.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    return { id: account.id, email, secret: totp?.secret ?? '' };
  }

  async function signedIn(user: { email: string; secret: string }): Promise<{ browser: Browser; tokens: oidc.TokenEndpointResponse }> {
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
    const second = await submitPassword(browser, await openLogin(browser, request), user.email, PASSWORD);
    const consent = expectPage(await submitCode(browser, second, await totpCode(user.secret)));
    return { browser, tokens: await redeem(config, await approveConsent(browser, consent), request) };
  }

  /** What each instance, asked directly, says about a token. */
  async function activeOnEachInstance(token: string): Promise<boolean[]> {
    return Promise.all(cluster.instanceUrls.map(async (url) => {
      const response = await fetch(`${url}/token/introspection`, {
        method: 'POST',
        headers: { authorization: basicAuthorization(client.clientId, client.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
      return Boolean(((await response.json()) as { active: boolean }).active);
    }));
  }

  /** Whether the browser still has a session: a new authorization would skip the password. */
  async function stillSignedIn(browser: Browser): Promise<boolean> {
    const result = await browser.open((await buildAuthorizationRequest(config, { scope: 'openid email' })).url);
    return !(isPage(result) && result.document.querySelector('input[name="password"]') !== null);
  }

  it.each([
    ['disabling', (id: string) => admin.accounts.setStatus(id, 'disabled')],
    ['a new password', (id: string) => admin.accounts.setPassword(id, 'another long passphrase')],
    ['resetting the authenticator', (id: string) => admin.accounts.resetTotp(id)],
    ['deleting', (id: string) => admin.accounts.delete(id)],
  ])('%s ends the sessions, grants and tokens of the account', async (_change, change) => {
    const user = await createUser();
    const { browser, tokens } = await signedIn(user);
    expect(await activeOnEachInstance(tokens.access_token)).toEqual([true, true]);
    expect(await stillSignedIn(browser)).toBe(true);

    await change(user.id);

    expect(await activeOnEachInstance(tokens.access_token)).toEqual([false, false]);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await stillSignedIn(browser)).toBe(false);
  });

  it('refuses a sign-in under way for an account disabled meanwhile, at the second factor and at consent', async () => {
    const user = await createUser();
    const atCode = new Browser(REDIRECT_URI);
    const codePage = await submitPassword(atCode, await openLogin(atCode, await buildAuthorizationRequest(config, { scope: 'openid email' })), user.email, PASSWORD);
    const atConsent = new Browser(REDIRECT_URI);
    const secondPage = await submitPassword(atConsent, await openLogin(atConsent, await buildAuthorizationRequest(config, { scope: 'openid email', prompt: 'consent' })), user.email, PASSWORD);
    const consentPage = expectPage(await submitCode(atConsent, secondPage, await totpCode(user.secret)));
    expect(consentPage.document.querySelector('button[value="approve"]')).not.toBeNull();

    await admin.accounts.setStatus(user.id, 'disabled');

    const refusedCode = expectPage(await submitCode(atCode, codePage, await totpCode(user.secret, 1)));
    expect(refusedCode.status).toBe(403);
    expect(refusedCode.html).toContain('This account cannot sign in');
    const refusedConsent = await atConsent.submit(consentPage, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } });
    expect(isPage(refusedConsent) ? refusedConsent.status : 'redirected to the client').toBeGreaterThanOrEqual(400);
  });
});
