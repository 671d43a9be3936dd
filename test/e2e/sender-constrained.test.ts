import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oidc from 'openid-client';

import { createResourceServer } from '../../examples/resource-server/resource-server.js';
import { Browser, expectRedirect, isPage } from '../support/browser.js';
import { basicAuthorization } from '../support/register-client.js';
import { REDIRECT_URI } from '../support/sign-in.js';
import { startTestCluster, type TestCluster } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const JWT_API = 'https://api.example.com';
const OPAQUE_API = 'https://ledger.example.com';

interface ProofKey {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function proofKey(): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: await exportJWK(publicKey) };
}

/** A DPoP proof (RFC 9449 section 4.2) written by hand, to control its nonce, jti and target. */
async function proof(key: ProofKey, htm: string, htu: string, extra: { nonce?: string; accessToken?: string; jti?: string } = {}): Promise<string> {
  return new SignJWT({
    htm,
    htu,
    jti: extra.jti ?? randomUUID(),
    ...(extra.nonce ? { nonce: extra.nonce } : {}),
    ...(extra.accessToken ? { ath: createHash('sha256').update(extra.accessToken).digest('base64url') } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey);
}

describe('sender-constrained tokens (DPoP) and pushed requests as client policy, on two instances', () => {
  let cluster: TestCluster;
  let bound: { id: string; secret: string };
  let rsClient: { id: string; secret: string };
  let config: oidc.Configuration;
  const listeners: Server[] = [];

  async function resourceServer(audience: string): Promise<string> {
    const app = createResourceServer({ issuer: cluster.url, audience, introspection: { clientId: rsClient.id, clientSecret: rsClient.secret } });
    const listener = createServer(app.callback());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listeners.push(listener);
    return `http://127.0.0.1:${(listener.address() as AddressInfo).port}/orders`;
  }

  async function tokenRequest(instanceUrl: string, dpop: string | undefined, params: Record<string, string> = {}): Promise<Response> {
    return fetch(`${instanceUrl}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(bound.id, bound.secret), 'content-type': 'application/x-www-form-urlencoded', ...(dpop ? { dpop } : {}) },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
    });
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ instances: 2 });
    const [first] = cluster.containers;
    if (!first) throw new Error('the cluster has no instance');
    const rs = await first.clients.create({ name: 'Orders API', scope: 'openid' });
    rsClient = { id: String(rs.metadata.client_id), secret: rs.clientSecret ?? '' };
    await first.resources.create({ identifier: JWT_API, scope: 'orders:read', format: 'jwt', introspectors: [rsClient.id] });
    await first.resources.create({ identifier: OPAQUE_API, scope: 'ledger:read', format: 'opaque', introspectors: [rsClient.id] });
    const created = await first.clients.create({ name: 'Order sync', scope: 'openid', resources: [JWT_API, OPAQUE_API], dpopBoundTokens: true });
    bound = { id: String(created.metadata.client_id), secret: created.clientSecret ?? '' };
    config = await oidc.discovery(new URL(cluster.url), bound.id, { client_secret: bound.secret }, oidc.ClientSecretBasic(bound.secret), insecure);
  });

  afterAll(async () => {
    await Promise.all(listeners.map((listener) => new Promise((resolve) => listener.close(resolve))));
    await cluster.stop();
  });

  it('asks for a server nonce, which one instance hands out and the other accepts, and refuses a replayed proof', async () => {
    const [a, b] = cluster.instanceUrls;
    if (!a || !b) throw new Error('expected two instances');
    const key = await proofKey();

    // Each proof names the URL it is sent to (htu): here each instance's own.
    const withoutNonce = await tokenRequest(a, await proof(key, 'POST', `${a}/token`));
    expect(await withoutNonce.json()).toMatchObject({ error: 'use_dpop_nonce' });
    expect(withoutNonce.status).toBe(400);
    const nonce = withoutNonce.headers.get('dpop-nonce');
    expect(nonce).toEqual(expect.any(String));

    const withNonce = await proof(key, 'POST', `${b}/token`, { nonce: nonce ?? '' });
    const issued = await tokenRequest(b, withNonce);
    expect(issued.status).toBe(200);
    expect(await issued.json()).toMatchObject({ token_type: 'DPoP', access_token: expect.any(String) });

    // The same proof again: its jti is remembered in Redis, so no instance takes it twice.
    const replayed = await tokenRequest(b, withNonce);
    expect(replayed.status).toBe(400);
    expect(await replayed.json()).toMatchObject({ error: 'invalid_grant' });
    // ...while a new proof (another jti) with the same nonce is still good, at the other instance.
    expect((await tokenRequest(a, await proof(key, 'POST', `${a}/token`, { nonce: nonce ?? '' }))).status).toBe(200);
    // A nonce that no instance made is refused the same way as none, with a fresh one offered.
    const forged = await tokenRequest(a, await proof(key, 'POST', `${a}/token`, { nonce: 'made-up-nonce' }));
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: 'use_dpop_nonce' });
    expect(forged.headers.get('dpop-nonce')).toEqual(expect.any(String));
  });

  it('gives a client that must use DPoP no token without a proof', async () => {
    const response = await tokenRequest(cluster.url, undefined);
    // oidc-provider's answer; the reason ("DPoP proof JWT not provided") stays in its error_detail.
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
    expect(response.status).toBe(400);
  });

  it('binds a JWT access token (cnf.jkt) that the resource server accepts only with a proof by the same key', async () => {
    const keys = await oidc.randomDPoPKeyPair();
    const dpop = oidc.getDPoPHandle(config, keys);
    // openid-client answers the nonce challenge itself.
    const tokens = await oidc.clientCredentialsGrant(config, { resource: JWT_API, scope: 'orders:read' }, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: JWT_API, cnf: { jkt } });

    const api = await resourceServer(JWT_API);
    const answer = await oidc.fetchProtectedResource(config, tokens.access_token, new URL(api), 'GET', undefined, undefined, { DPoP: dpop });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ hello: bound.id, jkt });

    // As a bearer token, the same token is worthless to whoever copied it.
    expect((await fetch(api, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    // A proof by another key, for another URL, or for another token is refused; so is a proof used twice.
    const thief = await proofKey();
    const call = async (dpopProof: string): Promise<number> => (await fetch(api, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: dpopProof } })).status;
    expect(await call(await proof(thief, 'GET', api, { accessToken: tokens.access_token }))).toBe(401);
    const exported = { privateKey: keys.privateKey, jwk: await exportJWK(keys.publicKey) };
    expect(await call(await proof(exported, 'GET', `${api}/elsewhere`, { accessToken: tokens.access_token }))).toBe(401);
    expect(await call(await proof(exported, 'GET', api, { accessToken: 'another-token' }))).toBe(401);
    const once = await proof(exported, 'GET', api, { accessToken: tokens.access_token });
    expect(await call(once)).toBe(200);
    expect(await call(once)).toBe(401);
  });

  it('reports the binding of an opaque token in introspection, and the resource server checks it there', async () => {
    const keys = await oidc.randomDPoPKeyPair();
    const dpop = oidc.getDPoPHandle(config, keys);
    const tokens = await oidc.clientCredentialsGrant(config, { resource: OPAQUE_API, scope: 'ledger:read' }, { DPoP: dpop });
    expect(tokens.access_token.split('.')).toHaveLength(1);
    const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));

    const introspection = await fetch(`${cluster.url}/token/introspection`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(rsClient.id, rsClient.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    expect(await introspection.json()).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });

    const api = await resourceServer(OPAQUE_API);
    expect((await oidc.fetchProtectedResource(config, tokens.access_token, new URL(api), 'GET', undefined, undefined, { DPoP: dpop })).status).toBe(200);
    expect((await fetch(api, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
  });

  it('sends a client that must push its requests back with an error when it does not, and signs it in when it does', async () => {
    const [first] = cluster.containers;
    if (!first) throw new Error('the cluster has no instance');
    const created = await first.clients.create({ name: 'Pushed only', redirectUris: [REDIRECT_URI], scope: 'openid email', requirePushedRequests: true });
    const clientId = String(created.metadata.client_id);
    const app = await oidc.discovery(new URL(cluster.url), clientId, { client_secret: created.clientSecret ?? '' }, oidc.ClientSecretBasic(created.clientSecret ?? ''), insecure);
    const parameters = { redirect_uri: REDIRECT_URI, scope: 'openid email', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: oidc.randomState() };

    const direct = new URL(expectRedirect(await new Browser(REDIRECT_URI).open(oidc.buildAuthorizationUrl(app, parameters).toString())));
    expect(direct.searchParams.get('error')).toBe('invalid_request');
    expect(direct.searchParams.get('error_description')).toMatch(/pushed authorization request/i);
    expect(direct.searchParams.has('code')).toBe(false);

    const pushed = await new Browser(REDIRECT_URI).open((await oidc.buildAuthorizationUrlWithPAR(app, parameters)).toString());
    expect(isPage(pushed) && pushed.document.querySelector('input[name="password"]')).toBeTruthy();
  });

  it('lets a client that registers itself ask for both constraints, which bind only itself', async () => {
    const [first] = cluster.containers;
    if (!first) throw new Error('the cluster has no instance');
    const initialAccessToken = await new first.provider.InitialAccessToken({}).save();
    const metadata = { client_name: 'Self-registered', redirect_uris: [REDIRECT_URI], response_types: ['code'], grant_types: ['authorization_code'], dpop_bound_access_tokens: true, require_pushed_authorization_requests: true };
    const registered = await oidc.dynamicClientRegistration(new URL(cluster.url), metadata, undefined, { ...insecure, initialAccessToken });
    expect(registered.clientMetadata()).toMatchObject({ dpop_bound_access_tokens: true, require_pushed_authorization_requests: true });

    const parameters = { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' };
    const direct = new URL(expectRedirect(await new Browser(REDIRECT_URI).open(oidc.buildAuthorizationUrl(registered, parameters).toString())));
    expect(direct.searchParams.get('error')).toBe('invalid_request');
  });
});
