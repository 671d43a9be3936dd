import * as oidc from 'openid-client';

import type { Container } from '../../src/container.js';
import { Browser, expectRedirect, isPage, type Page } from '../support/browser.js';
import { registerClient } from '../support/register-client.js';
import { approveConsent, openLogin, REDIRECT_URI, signIn, submitCode, submitPassword, totpCode, type AuthorizationRequest } from '../support/sign-in.js';
import { startTestCluster, startTestServer, type TestCluster, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';

interface Deployment {
  readonly url: string;
  readonly container: Container;
}

/** A confidential client that signs users in with PKCE, and openid-client configured for it. */
async function setUpRelyingParty(deployment: Deployment): Promise<oidc.Configuration> {
  const client = await registerClient(deployment.container, {
    client_name: 'Pushed Requests',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    scope: 'openid email profile offline_access',
  });
  return oidc.discovery(new URL(deployment.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), insecure);
}

async function createUser(container: Container, email: string): Promise<{ id: string; email: string; password: string; totpSecret: string }> {
  const { account, totp } = await container.accounts.createAccount({ email, name: 'Grace Hopper', password: PASSWORD, withTotp: true });
  return { id: account.id, email, password: PASSWORD, totpSecret: totp?.secret ?? '' };
}

/** What openid-client's PAR helper does: push the request, get a URL holding only client_id and request_uri. */
async function pushAuthorizationRequest(config: oidc.Configuration, options?: oidc.DPoPOptions): Promise<AuthorizationRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = await oidc.buildAuthorizationUrlWithPAR(
    config,
    { redirect_uri: REDIRECT_URI, scope: 'openid email profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state },
    options,
  );
  expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
  return { url: url.toString(), verifier, state };
}

/** Password, TOTP and (first time) consent, until the browser is back at the client. */
async function signInThroughPages(browser: Browser, request: AuthorizationRequest, user: Awaited<ReturnType<typeof createUser>>, offsetSteps: number): Promise<string> {
  const result = await signIn(browser, request, user, offsetSteps);
  return typeof result === 'string' ? result : approveConsent(browser, result);
}

function describePushedSignIn(name: string, start: () => Promise<{ deployment: Deployment; stop: () => Promise<void> }>): void {
  describe(`sign-in through a pushed authorization request (${name})`, () => {
    // Each deployment's users get addresses of their own (stored lower-cased, so written lower-case).
    const slug = name.toLowerCase().replace(/\W+/g, '-');
    let deployment: Deployment;
    let stop: () => Promise<void>;
    let config: oidc.Configuration;

    beforeAll(async () => {
      ({ deployment, stop } = await start());
      config = await setUpRelyingParty(deployment);
    });

    afterAll(async () => {
      await stop();
    });

    it('advertises the PAR endpoint, completes the sign-in, and refuses the request_uri a second time', async () => {
      expect(config.serverMetadata().pushed_authorization_request_endpoint).toBe(`${deployment.url}/request`);
      const user = await createUser(deployment.container, `par-${slug}@example.com`);
      const request = await pushAuthorizationRequest(config);
      const callback = await signInThroughPages(new Browser(REDIRECT_URI), request, user, 0);

      const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state });
      expect(tokens.claims()).toMatchObject({ sub: user.id, amr: expect.arrayContaining(['pwd', 'otp']) });
      expect(await oidc.fetchUserInfo(config, tokens.access_token, user.id)).toMatchObject({ sub: user.id, email: user.email });

      // A request_uri is single-use: the same URL again sends the browser back to the client
      // with RFC 9126's error, as an OAuth error response (not a 500).
      const replay = new URL(expectRedirect(await new Browser(REDIRECT_URI).open(request.url)));
      expect(replay.searchParams.get('error')).toBe('invalid_request_uri');
      expect(replay.searchParams.get('iss')).toBe(deployment.url);
      expect(replay.searchParams.has('code')).toBe(false);
    });

    it('binds the tokens of a pushed request to a DPoP key', async () => {
      const user = await createUser(deployment.container, `par-dpop-${slug}@example.com`);
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      const request = await pushAuthorizationRequest(config, { DPoP: dpop });
      const callback = await signInThroughPages(new Browser(REDIRECT_URI), request, user, 1);

      const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state }, undefined, { DPoP: dpop });
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      expect(await oidc.fetchUserInfo(config, tokens.access_token, user.id, { DPoP: dpop })).toMatchObject({ sub: user.id });
      // Without the proof the same access token is worthless.
      await expect(oidc.fetchUserInfo(config, tokens.access_token, user.id)).rejects.toThrow();
    });

    it('lets only one of two browsers holding the same request_uri get a code', async () => {
      const request = await pushAuthorizationRequest(config);
      // Both browsers reach the second factor before either finishes: the request_uri is unused until then.
      const contenders = await Promise.all(
        ['a', 'b'].map(async (letter) => {
          const user = await createUser(deployment.container, `par-${letter}-${slug}@example.com`);
          const browser = new Browser(REDIRECT_URI);
          const secondFactor = await submitPassword(browser, await openLogin(browser, request), user.email, PASSWORD);
          return { user, browser, secondFactor };
        }),
      );
      const finish = async ({ user, browser, secondFactor }: (typeof contenders)[number]): Promise<Page | { redirectedTo: string }> => {
        const after = await submitCode(browser, secondFactor, await totpCode(user.totpSecret));
        const asksConsent = isPage(after) && after.document.querySelector('button[value="approve"]') !== null;
        return asksConsent && isPage(after) ? browser.submit(after, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } }) : after;
      };
      const [winner, loser] = contenders;
      if (!winner || !loser) throw new Error('expected two contenders');

      const won = expectRedirect(await finish(winner));
      expect(new URL(won).searchParams.get('code')).toEqual(expect.any(String));
      const lost = new URL(expectRedirect(await finish(loser)));
      expect(lost.searchParams.get('error')).toBe('invalid_request_uri');
      expect(lost.searchParams.get('state')).toBe(request.state);
      expect(lost.searchParams.has('code')).toBe(false);
    });
  });
}

describePushedSignIn('Redis and MongoDB', async () => {
  const server: TestServer = await startTestServer();
  return { deployment: { url: server.url, container: server.container }, stop: () => server.stop() };
});

describePushedSignIn('in-memory stores', async () => {
  const server: TestServer = await startTestServer({ memory: true });
  return { deployment: { url: server.url, container: server.container }, stop: () => server.stop() };
});

describePushedSignIn('two instances behind a round-robin balancer', async () => {
  const cluster: TestCluster = await startTestCluster({ instances: 2 });
  const [first] = cluster.containers;
  if (!first) throw new Error('the cluster has no instance');
  return {
    deployment: { url: cluster.url, container: first },
    async stop() {
      // Every flow above took several requests, so both instances served part of it.
      expect(new Set(cluster.balancer.served).size).toBe(2);
      await cluster.stop();
    },
  };
});
