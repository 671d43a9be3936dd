import { randomUUID } from 'node:crypto';

import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';

import { SIGN_IN_ACR } from '../../src/interactions/sign-in-methods.js';
import { Browser, expectPage, isPage, type Page } from '../support/browser.js';
import { REDIRECT_URI, signIn, type AuthorizationRequest } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';
const ALL_SCOPES = 'openid email profile address phone organisation';

const PROFILE = {
  given_name: 'Ada',
  family_name: 'Lovelace',
  nickname: 'Ada',
  birthdate: '1815-12-10',
  locale: 'en-GB',
  zoneinfo: 'Europe/London',
  website: 'https://ada.example.com',
  phone_number: '+442079460000',
  phone_number_verified: true,
  address: { locality: 'London', country: 'GB' },
};

describe('the OpenID profile: standard claims, declared attributes, acr, the claims parameter, pairwise subjects, PKCE per client', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      configure: (config) => ({
        ...config,
        scopes: [...config.scopes, 'organisation'],
        customClaims: { department: { type: 'string', scope: 'organisation' } },
      }),
    });
  });

  afterAll(async () => {
    await server.stop();
  });

  async function createUser(): Promise<{ id: string; email: string; password: string; totpSecret: string }> {
    const email = `profile-${randomUUID()}@example.com`;
    const { account, totp } = await server.container.accounts.createAccount({
      email, name: 'Ada Lovelace', password: PASSWORD, withTotp: true, profile: PROFILE, attributes: { department: 'Analytical Engines' },
    });
    return { id: account.id, email, password: PASSWORD, totpSecret: totp?.secret ?? '' };
  }

  /** An OpenID Connect Core request as the suite sends it: state and nonce, no PKCE. */
  function requestWithoutPkce(config: oidc.Configuration, params: Record<string, string> = {}): AuthorizationRequest & { nonce: string } {
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: ALL_SCOPES, state, nonce, ...params });
    return { url: url.toString(), verifier: '', state, nonce };
  }

  /** Password, TOTP and consent in `browser`; returns where the browser left the IdP. */
  async function signInAndConsent(browser: Browser, request: AuthorizationRequest, user: { email: string; password: string; totpSecret: string }, step = 0): Promise<string> {
    const after = await signIn(browser, request, user, step);
    return approveIfAsked(browser, after);
  }

  async function approveIfAsked(browser: Browser, after: string | Page): Promise<string> {
    if (typeof after === 'string') return after;
    const decided = await browser.submit(after, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } });
    if (isPage(decided)) throw new Error(`expected a redirect to the client, got ${decided.url}:\n${decided.html}`);
    return decided.redirectedTo;
  }

  async function confidentialClient(options: { pkceRequired?: boolean; scope?: string } = {}): Promise<oidc.Configuration> {
    const created = await server.container.clients.create({
      name: 'Profile Reader', redirectUris: [REDIRECT_URI], scope: options.scope ?? ALL_SCOPES, ...(options.pkceRequired !== undefined ? { pkceRequired: options.pkceRequired } : {}),
    });
    return oidc.discovery(new URL(server.url), String(created.metadata.client_id), String(created.clientSecret), oidc.ClientSecretBasic(), insecure);
  }

  async function registerDynamically(metadata: Partial<oidc.ClientMetadata>): Promise<oidc.Configuration> {
    const initialAccessToken = await new server.container.provider.InitialAccessToken({}).save();
    return oidc.dynamicClientRegistration(new URL(server.url), { client_name: 'Pairwise Probe', redirect_uris: [REDIRECT_URI], scope: 'openid email', ...metadata }, oidc.ClientSecretBasic(), { ...insecure, initialAccessToken });
  }

  it('sends standard claims and declared attributes to userinfo, and into the ID token only when the claims parameter asks', async () => {
    const config = await confidentialClient();
    const user = await createUser();
    const browser = new Browser(REDIRECT_URI);

    const plain = requestWithoutPkce(config, { acr_values: SIGN_IN_ACR });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(await signInAndConsent(browser, plain, user)), { expectedState: plain.state, expectedNonce: plain.nonce });
    const idToken = tokens.claims();
    expect(idToken).toMatchObject({ sub: user.id, acr: SIGN_IN_ACR, amr: expect.arrayContaining(['pwd', 'otp']) });
    for (const claim of ['email', 'name', 'given_name', 'address', 'phone_number', 'department']) expect(idToken).not.toHaveProperty(claim);

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(userinfo).toMatchObject({
      sub: user.id, email: user.email, name: 'Ada Lovelace', ...PROFILE, department: 'Analytical Engines', updated_at: expect.any(Number),
    });

    // The same browser is signed in: the claims parameter moves named claims into the ID token.
    const asked = requestWithoutPkce(config, { claims: JSON.stringify({ id_token: { email: { essential: true }, department: null, given_name: null } }) });
    const redirect = await approveIfAsked(browser, expectPageOrRedirect(await browser.open(asked.url)));
    const second = await oidc.authorizationCodeGrant(config, new URL(redirect), { expectedState: asked.state, expectedNonce: asked.nonce });
    expect(second.claims()).toMatchObject({ sub: user.id, email: user.email, department: 'Analytical Engines', given_name: 'Ada' });
    expect(second.claims()).not.toHaveProperty('family_name');
  });

  it('releases only what the granted scopes cover', async () => {
    const config = await confidentialClient({ scope: 'openid email' });
    const user = await createUser();
    const request = requestWithoutPkce(config, { scope: 'openid email' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(await signInAndConsent(new Browser(REDIRECT_URI), request, user)), { expectedState: request.state, expectedNonce: request.nonce });
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(userinfo).toMatchObject({ sub: user.id, email: user.email, email_verified: false });
    for (const claim of ['name', 'given_name', 'birthdate', 'updated_at', 'address', 'phone_number', 'department']) expect(userinfo).not.toHaveProperty(claim);
  });

  it('requires PKCE of a confidential client an administrator marked, and of every public client', async () => {
    const marked = await confidentialClient({ pkceRequired: true });
    const created = await server.container.clients.create({ name: 'Public App', publicClient: true, redirectUris: [REDIRECT_URI], scope: 'openid email' });
    const publicClient = await oidc.discovery(new URL(server.url), String(created.metadata.client_id), { token_endpoint_auth_method: 'none' }, oidc.None(), insecure);
    for (const config of [marked, publicClient]) {
      const request = requestWithoutPkce(config, { scope: 'openid email' });
      const answer = await new Browser(REDIRECT_URI).open(request.url);
      if (isPage(answer)) throw new Error(`expected a redirect with an error, got:\n${answer.html}`);
      const callback = new URL(answer.redirectedTo);
      expect(callback.searchParams.get('error')).toBe('invalid_request');
      expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
    }
    await expect(server.container.clients.create({ name: 'Lax Public', publicClient: true, redirectUris: [REDIRECT_URI], pkceRequired: false })).rejects.toThrow(/always uses PKCE/);
  });

  it('gives pairwise clients one subject per sector, unlinkable to the public one', async () => {
    const user = await createUser();
    const browser = new Browser(REDIRECT_URI);
    const subjects: string[] = [];
    for (const subjectType of ['pairwise', 'pairwise', 'public'] as const) {
      const config = await registerDynamically({ subject_type: subjectType });
      const request = requestWithoutPkce(config, { scope: 'openid email' });
      const redirect = subjects.length === 0
        ? await signInAndConsent(browser, request, user)
        : await approveIfAsked(browser, expectPageOrRedirect(await browser.open(request.url)));
      const tokens = await oidc.authorizationCodeGrant(config, new URL(redirect), { expectedState: request.state, expectedNonce: request.nonce });
      const sub = String(tokens.claims()?.sub);
      // userinfo answers with the same subject as the ID token
      expect((await oidc.fetchUserInfo(config, tokens.access_token, sub)).sub).toBe(sub);
      subjects.push(sub);
    }
    const [first, second, publicSub] = subjects;
    expect(publicSub).toBe(user.id);
    expect(first).toBe(second);
    expect(first).not.toBe(user.id);
  });

  it('signs userinfo for a client that registered userinfo_signed_response_alg', async () => {
    const config = await registerDynamically({ userinfo_signed_response_alg: 'RS256' });
    const user = await createUser();
    const request = requestWithoutPkce(config, { scope: 'openid email' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(await signInAndConsent(new Browser(REDIRECT_URI), request, user)), { expectedState: request.state, expectedNonce: request.nonce });
    const raw = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(raw.headers.get('content-type')).toMatch(/^application\/jwt/);
    expect(decodeJwt(await raw.text())).toMatchObject({ sub: user.id, email: user.email, iss: server.url });
  });

  it('takes the authorization request as a signed request object', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const config = await registerDynamically({ request_object_signing_alg: 'RS256', jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig' }] } });
    const user = await createUser();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = await oidc.buildAuthorizationUrlWithJAR(config, { redirect_uri: REDIRECT_URI, scope: 'openid email', state, nonce }, privateKey);
    expect(url.searchParams.get('request')).toEqual(expect.any(String));
    const redirect = await signInAndConsent(new Browser(REDIRECT_URI), { url: url.toString(), verifier: '', state }, user);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(redirect), { expectedState: state, expectedNonce: nonce });
    expect(tokens.claims()?.sub).toBe(user.id);

    // A request object signed by anyone else is refused.
    const stranger = await generateKeyPair('RS256');
    const forged = await oidc.buildAuthorizationUrlWithJAR(config, { redirect_uri: REDIRECT_URI, scope: 'openid email', state, nonce }, stranger.privateKey);
    const answer = await new Browser(REDIRECT_URI).open(forged.toString());
    const refused = isPage(answer) ? answer.html : new URL(answer.redirectedTo).searchParams.get('error') ?? '';
    expect(refused).toMatch(/invalid_request_object/);
  });
});

function expectPageOrRedirect(result: Page | { redirectedTo: string }): Page | string {
  return isPage(result) ? expectPage(result) : result.redirectedTo;
}
