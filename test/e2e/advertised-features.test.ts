import { randomUUID } from 'node:crypto';

import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';

import { SIGN_IN_ACR } from '../../src/interactions/sign-in-methods.js';
import { Browser, expectPage, isPage, type Page } from '../support/browser.js';
import { buildAuthorizationRequest, REDIRECT_URI, signIn, type AuthorizationRequest } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';

/**
 * Everything discovery publishes, each value with the test that proves it through openid-client
 * (README, "What discovery advertises"). The first test below fails when discovery and this map
 * differ, so a feature cannot be switched on without a test, nor advertised without working.
 */
const ADVERTISED_LISTS: Record<string, readonly string[]> = {
  response_types_supported: ['code', 'none'],
  response_modes_supported: ['form_post', 'fragment', 'query'],
  // e2e/token-exchange.test.ts: RFC 8693, for clients an administrator allowed
  // e2e/device-flow.test.ts: RFC 8628, with its /device pages
  grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange'],
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'none', 'private_key_jwt'],
  token_endpoint_auth_signing_alg_values_supported: ['ES256', 'Ed25519', 'EdDSA', 'HS256', 'PS256', 'RS256'],
  id_token_signing_alg_values_supported: ['ES256', 'RS256'],
  dpop_signing_alg_values_supported: ['ES256', 'Ed25519', 'EdDSA'],
  scopes_supported: ['address', 'admin', 'email', 'offline_access', 'openid', 'phone', 'profile'],
  claims_supported: [
    'acr', 'address', 'amr', 'auth_time', 'birthdate', 'email', 'email_verified', 'family_name', 'gender', 'given_name', 'iss', 'locale',
    'middle_name', 'name', 'nickname', 'phone_number', 'phone_number_verified', 'picture', 'preferred_username', 'profile', 'sid', 'sub',
    'updated_at', 'website', 'zoneinfo',
  ],
  claim_types_supported: ['normal'],
  subject_types_supported: ['pairwise', 'public'],
  acr_values_supported: [SIGN_IN_ACR],
  request_object_signing_alg_values_supported: ['ES256', 'Ed25519', 'EdDSA', 'HS256', 'PS256', 'RS256'],
  userinfo_signing_alg_values_supported: ['ES256', 'RS256'],
  // e2e/page-language.test.ts: the pages follow ui_locales
  ui_locales_supported: ['de', 'en'],
};
const ADVERTISED_ENDPOINTS = [
  'authorization_endpoint',
  'device_authorization_endpoint',
  'end_session_endpoint',
  'introspection_endpoint',
  'jwks_uri',
  'pushed_authorization_request_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
];
const ADVERTISED_FLAGS = {
  authorization_response_iss_parameter_supported: true,
  // e2e/openid-claims.test.ts: claims parameter, request objects; e2e/request-uri.test.ts; e2e/backchannel-logout.test.ts
  claims_parameter_supported: true,
  request_parameter_supported: true,
  request_uri_parameter_supported: true,
  backchannel_logout_supported: true,
  backchannel_logout_session_supported: true,
  // e2e/frontchannel-logout.test.ts: logout URIs loaded in frames after a logout, with iss and sid
  frontchannel_logout_supported: true,
  frontchannel_logout_session_supported: true,
};

describe('every feature discovery advertises works through openid-client', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  /** Registers a client as a relying party would (RFC 7591, with an initial access token). */
  async function registerDynamically(metadata: Partial<oidc.ClientMetadata>, auth?: oidc.ClientAuth): Promise<oidc.Configuration> {
    const initialAccessToken = await new server.container.provider.InitialAccessToken({}).save();
    return oidc.dynamicClientRegistration(new URL(server.url), { client_name: 'Feature Probe', ...metadata }, auth, { ...insecure, initialAccessToken });
  }

  const codeClient = { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email profile offline_access' };

  async function createUser(): Promise<{ id: string; email: string; password: string; totpSecret: string }> {
    const email = `feature-${randomUUID()}@example.com`;
    const { account, totp } = await server.container.accounts.createAccount({ email, name: 'Katherine Johnson', password: PASSWORD, withTotp: true });
    return { id: account.id, email, password: PASSWORD, totpSecret: totp?.secret ?? '' };
  }

  /** A new user signs in through the pages and consents; returns where the browser left the IdP. */
  async function signInNewUser(config: oidc.Configuration, params: Record<string, string> = {}): Promise<{ request: AuthorizationRequest; result: Page | string; userId: string }> {
    const user = await createUser();
    const request = await buildAuthorizationRequest(config, params);
    const browser = new Browser(REDIRECT_URI);
    const afterCode = await signIn(browser, request, user, 0);
    const consent = typeof afterCode === 'string' ? undefined : afterCode.document.querySelector('button[value="approve"]');
    if (typeof afterCode === 'string' || !consent) return { request, result: afterCode, userId: user.id };
    const decided = await browser.submit(afterCode, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } });
    return { request, result: isPage(decided) ? decided : decided.redirectedTo, userId: user.id };
  }

  function callbackOf(result: Page | string): string {
    if (typeof result !== 'string') throw new Error(`expected a redirect to the client, got ${result.url} (${result.status}):\n${result.html}`);
    return result;
  }

  it('advertises exactly the features this suite covers', async () => {
    const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const lists = Object.fromEntries(Object.keys(ADVERTISED_LISTS).map((key) => [key, [...((metadata[key] as string[] | undefined) ?? [])].sort()]));
    expect(lists).toEqual(Object.fromEntries(Object.entries(ADVERTISED_LISTS).map(([key, values]) => [key, [...values].sort()])));
    for (const endpoint of ADVERTISED_ENDPOINTS) expect(metadata[endpoint]).toEqual(expect.stringMatching(new RegExp(`^${server.url}/`)));
    expect(metadata).toMatchObject({ issuer: server.url, ...ADVERTISED_FLAGS });
    expect(Object.keys(metadata).sort()).toEqual(['issuer', ...Object.keys(ADVERTISED_LISTS), ...ADVERTISED_ENDPOINTS, ...Object.keys(ADVERTISED_FLAGS)].sort());
  });

  describe('token endpoint client authentication', () => {
    it.each([
      ['client_secret_basic', () => oidc.ClientSecretBasic()],
      ['client_secret_post', () => oidc.ClientSecretPost()],
      ['client_secret_jwt', () => oidc.ClientSecretJwt()],
    ] as const)('authenticates a client with %s', async (method, auth) => {
      const config = await registerDynamically({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: method }, auth());
      const tokens = await oidc.clientCredentialsGrant(config);
      expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, client_id: config.clientMetadata().client_id });
    });

    it.each([
      ['RS256', 'RS256'],
      ['PS256', 'PS256'],
      ['ES256', 'ES256'],
      ['Ed25519', 'Ed25519'],
      ['EdDSA', 'Ed25519'],
    ] as const)('authenticates a client with private_key_jwt signed %s', async (alg, keyAlg) => {
      const { privateKey, publicKey } = await generateKeyPair(keyAlg, { extractable: true });
      const config = await registerDynamically(
        {
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: alg,
          jwks: { keys: [{ ...(await exportJWK(publicKey)), alg }] },
        },
        oidc.PrivateKeyJwt(privateKey, {
          [oidc.modifyAssertion]: (header) => {
            header.alg = alg;
          },
        }),
      );
      const tokens = await oidc.clientCredentialsGrant(config);
      expect(tokens.access_token).toEqual(expect.any(String));
    });

    it('signs in a public client (none) with PKCE, and verifies its RS256 ID token against the JWKS', async () => {
      const created = await server.container.clients.create({ name: 'Public App', publicClient: true, redirectUris: [REDIRECT_URI], scope: 'openid email profile' });
      const config = await oidc.discovery(new URL(server.url), String(created.metadata.client_id), { token_endpoint_auth_method: 'none' }, oidc.None(), insecure);
      oidc.enableNonRepudiationChecks(config);
      const { request, result, userId } = await signInNewUser(config);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(callbackOf(result)), { pkceCodeVerifier: request.verifier, expectedState: request.state });
      expect(tokens.claims()?.sub).toBe(userId);
      expect(decodeProtectedHeader(tokens.id_token ?? '').alg).toBe('RS256');
    });
  });

  it('signs ID tokens with ES256 for a client that asks, verified against the JWKS', async () => {
    const config = await registerDynamically({ ...codeClient, id_token_signed_response_alg: 'ES256' }, oidc.ClientSecretBasic());
    oidc.enableNonRepudiationChecks(config);
    const { request, result, userId } = await signInNewUser(config);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callbackOf(result)), { pkceCodeVerifier: request.verifier, expectedState: request.state });
    expect(decodeProtectedHeader(tokens.id_token ?? '').alg).toBe('ES256');
    expect(tokens.claims()).toMatchObject({ sub: userId, iss: server.url });
  });

  describe('authorization responses', () => {
    let config: oidc.Configuration;
    beforeAll(async () => {
      config = await registerDynamically(codeClient, oidc.ClientSecretBasic());
    });

    it('answers response_mode=form_post with a self-posting form that openid-client redeems', async () => {
      const { request, result } = await signInNewUser(config, { response_mode: 'form_post' });
      const page = expectPage(typeof result === 'string' ? { redirectedTo: result } : result);
      const form = page.document.querySelector('form[method="post"]');
      expect(form?.getAttribute('action')).toBe(REDIRECT_URI);
      const fields = new URLSearchParams((form?.querySelectorAll('input[type="hidden"]') ?? []).map((input): [string, string] => [input.getAttribute('name') ?? '', input.getAttribute('value') ?? '']));
      const posted = new Request(REDIRECT_URI, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields });
      const tokens = await oidc.authorizationCodeGrant(config, posted, { pkceCodeVerifier: request.verifier, expectedState: request.state });
      expect(tokens.access_token).toEqual(expect.any(String));
    });

    it('answers response_mode=fragment in the fragment, which the client moves to its back end', async () => {
      const { request, result } = await signInNewUser(config, { response_mode: 'fragment' });
      const callback = new URL(callbackOf(result));
      expect(callback.search).toBe('');
      // What the page's script does: hand the fragment's parameters to the server side.
      const handedOver = new URL(REDIRECT_URI);
      handedOver.search = callback.hash.slice(1);
      const tokens = await oidc.authorizationCodeGrant(config, handedOver, { pkceCodeVerifier: request.verifier, expectedState: request.state });
      expect(tokens.access_token).toEqual(expect.any(String));
    });

    it('answers response_type=none with state and iss only', async () => {
      const noneClient = await registerDynamically({ ...codeClient, response_types: ['code', 'none'] }, oidc.ClientSecretBasic());
      const { request, result } = await signInNewUser(noneClient, { response_type: 'none' });
      const callback = new URL(callbackOf(result));
      expect(Object.fromEntries(callback.searchParams)).toEqual({ state: request.state, iss: server.url });
    });
  });

  describe('DPoP', () => {
    it.each([
      ['ES256', 'ES256'],
      ['Ed25519', 'Ed25519'],
      ['EdDSA', 'Ed25519'],
    ] as const)('binds a client_credentials token to a %s proof key', async (alg, keyAlg) => {
      const config = await registerDynamically({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }, oidc.ClientSecretBasic());
      const keys = await generateKeyPair(keyAlg, { extractable: true });
      const dpop = oidc.getDPoPHandle(config, keys, {
        [oidc.modifyAssertion]: (header) => {
          header.alg = alg;
        },
      });
      const tokens = await oidc.clientCredentialsGrant(config, undefined, { DPoP: dpop });
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      const introspected = await oidc.tokenIntrospection(config, tokens.access_token);
      expect(introspected).toMatchObject({ active: true, token_type: 'DPoP' });
    });

    it('binds each access token to the key that proved the request, and a confidential client may refresh with a new key', async () => {
      const config = await registerDynamically(codeClient, oidc.ClientSecretBasic());
      const firstKey = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      const { request, result, userId } = await signInNewUser(config, { scope: 'openid email offline_access', prompt: 'consent' });
      const first = await oidc.authorizationCodeGrant(config, new URL(callbackOf(result)), { pkceCodeVerifier: request.verifier, expectedState: request.state }, undefined, { DPoP: firstKey });
      expect(first.token_type.toLowerCase()).toBe('dpop');

      // RFC 9449 section 5: a confidential client's refresh token is bound by client
      // authentication, not by the proof key; the new access token follows the new key.
      const secondKey = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      const second = await oidc.refreshTokenGrant(config, first.refresh_token ?? '', undefined, { DPoP: secondKey });
      expect(await oidc.fetchUserInfo(config, second.access_token, userId, { DPoP: secondKey })).toMatchObject({ sub: userId });
      await expect(oidc.fetchUserInfo(config, second.access_token, userId, { DPoP: firstKey })).rejects.toThrow();
    });

    it("binds a public client's refresh token to its proof key", async () => {
      const created = await server.container.clients.create({ name: 'Public DPoP App', publicClient: true, redirectUris: [REDIRECT_URI], scope: 'openid email offline_access' });
      const config = await oidc.discovery(new URL(server.url), String(created.metadata.client_id), { token_endpoint_auth_method: 'none' }, oidc.None(), insecure);
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      const { request, result, userId } = await signInNewUser(config, { scope: 'openid email offline_access', prompt: 'consent' });
      const first = await oidc.authorizationCodeGrant(config, new URL(callbackOf(result)), { pkceCodeVerifier: request.verifier, expectedState: request.state }, undefined, { DPoP: dpop });
      expect(first.refresh_token).toEqual(expect.any(String));

      const stranger = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      await expect(oidc.refreshTokenGrant(config, first.refresh_token ?? '', undefined, { DPoP: stranger })).rejects.toMatchObject({ error: 'invalid_grant' });
      const second = await oidc.refreshTokenGrant(config, first.refresh_token ?? '', undefined, { DPoP: dpop });
      expect(await oidc.fetchUserInfo(config, second.access_token, userId, { DPoP: dpop })).toMatchObject({ sub: userId });
    });
  });
});
