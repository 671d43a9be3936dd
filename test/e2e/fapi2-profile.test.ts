import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import * as oidc from 'openid-client';

import { Browser, expectRedirect, isPage } from '../support/browser.js';
import { basicAuthorization } from '../support/register-client.js';
import { approveConsent, REDIRECT_URI, signIn, type AuthorizationRequest } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';

describe('a client held to the FAPI 2.0 Security Profile', () => {
  let server: TestServer;
  let clientId: string;
  let clientKey: { privateKey: CryptoKey; kid: string };

  async function relyingParty(auth: oidc.ClientAuth = oidc.PrivateKeyJwt({ key: clientKey.privateKey, kid: clientKey.kid })): Promise<oidc.Configuration> {
    return oidc.discovery(new URL(server.url), clientId, { id_token_signed_response_alg: 'ES256' }, auth, insecure);
  }

  async function pushedRequest(config: oidc.Configuration, dpop: oidc.DPoPHandle, extra: Record<string, string> = {}): Promise<AuthorizationRequest> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid email offline_access', prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...extra,
    }, { DPoP: dpop });
    return { url: url.toString(), verifier, state };
  }

  beforeAll(async () => {
    server = await startTestServer();
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    clientKey = { privateKey, kid: 'bank-app-1' };
    const created = await server.container.clients.create({
      name: 'Bank app', redirectUris: [REDIRECT_URI], grantTypes: ['authorization_code', 'refresh_token'], scope: 'openid email offline_access',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: clientKey.kid, alg: 'ES256', use: 'sig' }] }, profile: 'fapi2',
    });
    expect(created.clientSecret).toBeUndefined();
    expect(created.metadata).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', require_pushed_authorization_requests: true, dpop_bound_access_tokens: true, id_token_signed_response_alg: 'ES256', latchkey_pkce_required: true });
    clientId = String(created.metadata.client_id);
  });

  afterAll(async () => {
    await server.stop();
  });

  it('signs a user in through PAR, PKCE, private_key_jwt and DPoP, and keeps its refresh token', async () => {
    const config = await relyingParty();
    const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
    const email = `fapi-${randomUUID()}@example.com`;
    const { account, totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    const request = await pushedRequest(config, dpop);
    const browser = new Browser(REDIRECT_URI);
    const result = await signIn(browser, request, { email, password: PASSWORD, totpSecret: totp?.secret ?? '' }, 0);
    const callback = typeof result === 'string' ? result : await approveConsent(browser, result);
    expect(new URL(callback).searchParams.get('iss')).toBe(server.url);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state }, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(decodeProtectedHeader(tokens.id_token ?? '')).toMatchObject({ alg: 'ES256' });
    expect(tokens.claims()).toMatchObject({ sub: account.id });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, account.id, { DPoP: dpop })).toMatchObject({ email });

    // Not rotated: the same refresh token keeps working, bound to the same key.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', undefined, { DPoP: dpop });
    expect(refreshed.refresh_token ?? tokens.refresh_token).toBe(tokens.refresh_token);
    expect((await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', undefined, { DPoP: dpop })).access_token).toEqual(expect.any(String));
  });

  it('sends a request that was not pushed back to the client with an error', async () => {
    const config = await relyingParty();
    const direct = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const answer = await new Browser(REDIRECT_URI).open(direct.toString());
    expect(isPage(answer)).toBe(false);
    expect(new URL(expectRedirect(answer)).searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a pushed request without PKCE', async () => {
    const config = await relyingParty();
    const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
    await expect(oidc.buildAuthorizationUrlWithPAR(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state: oidc.randomState() }, { DPoP: dpop }))
      .rejects.toMatchObject({ error: 'invalid_request' });
  });

  it('refuses a client assertion not audienced to the issuer, and a client secret', async () => {
    const endpointAudience = oidc.PrivateKeyJwt({ key: clientKey.privateKey, kid: clientKey.kid }, {
      [oidc.modifyAssertion]: (_header, payload) => {
        payload.aud = `${server.url}/request`;
      },
    });
    const dpop = (config: oidc.Configuration): oidc.DPoPHandle => oidc.getDPoPHandle(config, dpopKeys);
    const dpopKeys = await oidc.randomDPoPKeyPair();
    const wrongAudience = await relyingParty(endpointAudience);
    await expect(pushedRequest(wrongAudience, dpop(wrongAudience))).rejects.toMatchObject({ error: 'invalid_client' });
    // The client has no secret; a guessed one is refused like any wrong credential.
    const withSecret = await fetch(`${server.url}/request`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(clientId, 'guessed-secret'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }),
    });
    expect(withSecret.status).toBe(401);
    expect(await withSecret.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('cannot be made without keys, and no client can make itself one through registration', async () => {
    await expect(server.container.clients.create({ name: 'Half FAPI', redirectUris: [REDIRECT_URI], profile: 'fapi2' })).rejects.toThrow(/private_key_jwt/);
    const initialAccessToken = await new server.container.provider.InitialAccessToken({}).save();
    await expect(oidc.dynamicClientRegistration(new URL(server.url), { client_name: 'Self-made bank', redirect_uris: [REDIRECT_URI], latchkey_profile: 'fapi2' }, undefined, { ...insecure, initialAccessToken }))
      .rejects.toMatchObject({ error: 'invalid_client_metadata' });
  });
});
