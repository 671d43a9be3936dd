import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';

import { createResourceServer } from '../../examples/resource-server/resource-server.js';
import { Browser } from '../support/browser.js';
import { basicAuthorization } from '../support/register-client.js';
import { approveConsent, buildAuthorizationRequest, redeem, REDIRECT_URI, signIn } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const ORDERS = 'https://orders.example.com';
const INVENTORY = 'https://inventory.example.com';
const LEDGER = 'https://ledger.example.com';
const PASSWORD = 'correct horse battery staple';

interface ClientCredentials {
  readonly id: string;
  readonly secret: string;
}

describe('token exchange (RFC 8693): an API trades a user\'s token for one to the API it calls', () => {
  let server: TestServer;
  // The API the user's app calls, and two more behind it.
  let ordersApi: ClientCredentials;
  let inventoryApi: ClientCredentials;
  let ledgerApi: ClientCredentials;
  // Allowed to exchange, but as an impersonator; allowed, but not serving ORDERS; not allowed at all.
  let mirror: ClientCredentials;
  let outsider: ClientCredentials;
  let stranger: ClientCredentials;
  let user: { id: string; email: string };
  let userToken: string;
  const listeners: Server[] = [];

  async function resourceServer(audience: string, introspector: ClientCredentials): Promise<string> {
    const listener = createServer(createResourceServer({ issuer: server.url, audience, introspection: { clientId: introspector.id, clientSecret: introspector.secret } }).callback());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listeners.push(listener);
    return `http://127.0.0.1:${(listener.address() as AddressInfo).port}/stock`;
  }

  async function exchange(client: ClientCredentials, params: Record<string, string>, dpop?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded', ...(dpop ? { dpop } : {}) },
      body: new URLSearchParams({ grant_type: GRANT, subject_token_type: ACCESS_TOKEN, ...params }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function introspect(client: ClientCredentials, token: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${server.url}/token/introspection`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    return (await response.json()) as Record<string, unknown>;
  }

  /** A well-formed proof for another URL than the token endpoint. */
  async function handMadeProof(htu: string): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    return new SignJWT({ htm: 'POST', htu, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
      .setIssuedAt()
      .sign(privateKey);
  }

  async function createClient(name: string, input: { exchangeAudiences?: string[]; exchangeMode?: 'delegation' | 'impersonation'; dpopBoundTokens?: boolean } = {}): Promise<ClientCredentials> {
    const created = await server.container.clients.create({ name, scope: 'openid', ...input });
    return { id: String(created.metadata.client_id), secret: created.clientSecret ?? '' };
  }

  beforeAll(async () => {
    server = await startTestServer();
    const { resources, clients, accounts } = server.container;
    // Downstream first: an exchange audience must be a registered resource.
    await resources.create({ identifier: LEDGER, scope: 'read', format: 'opaque' });
    ledgerApi = await createClient('Ledger API');
    await resources.update(LEDGER, { introspectors: [ledgerApi.id] });
    inventoryApi = await createClient('Inventory API', { exchangeAudiences: [LEDGER] });
    await resources.create({ identifier: INVENTORY, scope: 'read', format: 'jwt', introspectors: [inventoryApi.id] });
    ordersApi = await createClient('Orders API', { exchangeAudiences: [INVENTORY, LEDGER] });
    mirror = await createClient('Mirror', { exchangeAudiences: [INVENTORY], exchangeMode: 'impersonation' });
    outsider = await createClient('Outsider', { exchangeAudiences: [INVENTORY] });
    stranger = await createClient('Stranger');
    await resources.create({ identifier: ORDERS, scope: 'read write', format: 'jwt', introspectors: [ordersApi.id, mirror.id] });

    // A user signs in to the shop, which gets a token for the orders API.
    const shop = await clients.create({ name: 'Shop', redirectUris: [REDIRECT_URI], scope: 'openid email', resources: [ORDERS] });
    const config = await oidc.discovery(new URL(server.url), String(shop.metadata.client_id), { client_secret: shop.clientSecret ?? '' }, oidc.ClientSecretBasic(shop.clientSecret ?? ''), insecure);
    const email = `buyer-${randomUUID()}@example.com`;
    const { account, totp } = await accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    user = { id: account.id, email };
    const request = await buildAuthorizationRequest(config, { scope: 'openid email read', resource: ORDERS });
    const browser = new Browser(REDIRECT_URI);
    const result = await signIn(browser, request, { email, password: PASSWORD, totpSecret: totp?.secret ?? '' }, 0);
    const callback = typeof result === 'string' ? result : await approveConsent(browser, result);
    userToken = (await redeem(config, callback, request)).access_token;
    expect(decodeJwt(userToken)).toMatchObject({ aud: ORDERS, sub: user.id, scope: 'read' });
  });

  afterAll(async () => {
    await Promise.all(listeners.map((listener) => new Promise((resolve) => listener.close(resolve))));
    await server.stop();
  });

  it('gives the orders API a token for the inventory API that says who acts for the user, and audits it', async () => {
    // The orders API as a relying party of its own, through openid-client's generic grant.
    const api = await oidc.discovery(new URL(server.url), ordersApi.id, { client_secret: ordersApi.secret }, oidc.ClientSecretBasic(ordersApi.secret), insecure);
    const body = await oidc.genericGrantRequest(api, GRANT, { subject_token: userToken, subject_token_type: ACCESS_TOKEN, resource: INVENTORY });
    expect(body).toMatchObject({ issued_token_type: ACCESS_TOKEN, token_type: expect.stringMatching(/^bearer$/i), scope: 'read', expires_in: expect.any(Number) });
    const exchanged = body.access_token;
    const claims = decodeJwt(exchanged);
    expect(claims).toMatchObject({ iss: server.url, aud: INVENTORY, sub: user.id, client_id: ordersApi.id, scope: 'read', act: { sub: ordersApi.id } });
    // Never longer than the token it came from.
    expect(Number(claims.exp)).toBeLessThanOrEqual(Number(decodeJwt(userToken).exp));

    const inventory = await resourceServer(INVENTORY, inventoryApi);
    const answer = await fetch(inventory, { headers: { authorization: `Bearer ${exchanged}` } });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ hello: user.id, scope: 'read' });
    // The user's own token is not for the inventory API.
    expect((await fetch(inventory, { headers: { authorization: `Bearer ${userToken}` } })).status).toBe(401);

    await server.container.audit.flush();
    const events = await server.container.auditStore.query({ type: 'token.exchanged', limit: 10 });
    expect(events).toContainEqual(expect.objectContaining({
      type: 'token.exchanged', outcome: 'success', clientId: ordersApi.id, accountId: user.id,
      details: expect.objectContaining({ audience: INVENTORY, mode: 'delegation', subject_client_id: expect.any(String) }),
    }));
  });

  it('binds the exchanged token to the key of the DPoP proof the exchange was sent with, nonce and all', async () => {
    const api = await oidc.discovery(new URL(server.url), ordersApi.id, { client_secret: ordersApi.secret }, oidc.ClientSecretBasic(ordersApi.secret), insecure);
    const keys = await oidc.randomDPoPKeyPair();
    const dpop = oidc.getDPoPHandle(api, keys);
    // openid-client answers the server's use_dpop_nonce by retrying with the nonce it was given.
    const body = await oidc.genericGrantRequest(api, GRANT, { subject_token: userToken, subject_token_type: ACCESS_TOKEN, resource: INVENTORY }, { DPoP: dpop });
    expect(body.token_type.toLowerCase()).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));
    expect(decodeJwt(body.access_token)).toMatchObject({ aud: INVENTORY, sub: user.id, act: { sub: ordersApi.id }, cnf: { jkt } });

    const inventory = new URL(await resourceServer(INVENTORY, inventoryApi));
    expect((await oidc.fetchProtectedResource(api, body.access_token, inventory, 'GET', undefined, undefined, { DPoP: dpop })).status).toBe(200);
    // As a bearer token, or with a proof by another key, it is worth nothing.
    expect((await fetch(inventory, { headers: { authorization: `Bearer ${body.access_token}` } })).status).toBe(401);
    const thief = oidc.getDPoPHandle(api, await oidc.randomDPoPKeyPair());
    // openid-client turns the resource server's 401 challenge into an error.
    await expect(oidc.fetchProtectedResource(api, body.access_token, inventory, 'GET', undefined, undefined, { DPoP: thief })).rejects.toMatchObject({ status: 401 });

    await server.container.audit.flush();
    const events = await server.container.auditStore.query({ type: 'token.exchanged', limit: 20 });
    expect(events.some((event) => (event.details as { dpop_bound?: boolean } | undefined)?.dpop_bound === true)).toBe(true);
  });

  it('refuses a bad DPoP proof, and gives a client that must use DPoP no exchanged token without one', async () => {
    const bad = await exchange(ordersApi, { subject_token: userToken, resource: INVENTORY }, await handMadeProof(`${server.url}/elsewhere`));
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });

    const bound = await createClient('Bound orders', { exchangeAudiences: [INVENTORY], dpopBoundTokens: true });
    await server.container.resources.update(ORDERS, { introspectors: [ordersApi.id, mirror.id, bound.id] });
    expect(await exchange(bound, { subject_token: userToken, resource: INVENTORY })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const api = await oidc.discovery(new URL(server.url), bound.id, { client_secret: bound.secret }, oidc.ClientSecretBasic(bound.secret), insecure);
    const body = await oidc.genericGrantRequest(api, GRANT, { subject_token: userToken, subject_token_type: ACCESS_TOKEN, resource: INVENTORY }, { DPoP: oidc.getDPoPHandle(api, await oidc.randomDPoPKeyPair()) });
    expect(body.token_type.toLowerCase()).toBe('dpop');
  });

  it('nests the earlier actor when an exchanged token is exchanged again, and introspection shows both', async () => {
    const first = await exchange(ordersApi, { subject_token: userToken, audience: INVENTORY });
    const second = await exchange(inventoryApi, { subject_token: String(first.body.access_token), resource: LEDGER });
    expect(second.status).toBe(200);
    const ledgerToken = String(second.body.access_token);
    expect(ledgerToken.split('.')).toHaveLength(1);
    expect(await introspect(ledgerApi, ledgerToken)).toMatchObject({
      active: true, sub: user.id, aud: LEDGER, client_id: inventoryApi.id, scope: 'read',
      act: { sub: inventoryApi.id, act: { sub: ordersApi.id } },
    });
  });

  it('leaves act out for a client an administrator set to impersonation', async () => {
    const { status, body } = await exchange(mirror, { subject_token: userToken, resource: INVENTORY });
    expect(status).toBe(200);
    const claims = decodeJwt(String(body.access_token));
    expect(claims).toMatchObject({ sub: user.id, aud: INVENTORY, client_id: mirror.id });
    expect(claims).not.toHaveProperty('act');
  });

  it.each([
    // oidc-provider's answer for a grant type the client was not registered with.
    ['a client without an exchange policy', () => stranger, () => ({ resource: INVENTORY }), 'invalid_request'],
    ['a resource outside the client\'s policy', () => ordersApi, () => ({ resource: ORDERS }), 'invalid_target'],
    ['a resource that is not registered', () => ordersApi, () => ({ resource: 'https://unknown.example.com' }), 'invalid_target'],
    ['a client the subject token is not for', () => outsider, () => ({ resource: INVENTORY }), 'invalid_grant'],
    ['a scope the user\'s token does not have', () => ordersApi, () => ({ resource: INVENTORY, scope: 'write' }), 'invalid_scope'],
    ['another subject token type', () => ordersApi, () => ({ resource: INVENTORY, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }), 'invalid_request'],
    ['an actor token', () => ordersApi, () => ({ resource: INVENTORY, actor_token: userToken, actor_token_type: ACCESS_TOKEN }), 'invalid_request'],
    ['a token with a forged signature', () => ordersApi, () => ({ resource: INVENTORY, subject_token: `${userToken.slice(0, -8)}AAAAAAAA` }), 'invalid_grant'],
  ])('refuses %s', async (_name, client, params, error) => {
    const { status, body } = await exchange(client(), { subject_token: userToken, ...params() });
    expect(body).toMatchObject({ error });
    expect(status).toBeGreaterThanOrEqual(400);
  });

  it('refuses a client\'s own token: there is no user to act for', async () => {
    const own = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(ordersApi.id, ordersApi.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'openid' }),
    });
    const { access_token: machineToken } = (await own.json()) as { access_token: string };
    expect(await exchange(ordersApi, { subject_token: machineToken, resource: INVENTORY })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('lets no client grant itself an exchange policy through registration', async () => {
    const register = async (metadata: Partial<oidc.ClientMetadata>): Promise<oidc.Configuration> => {
      const initialAccessToken = await new server.container.provider.InitialAccessToken({}).save();
      return oidc.dynamicClientRegistration(new URL(server.url), { client_name: 'Greedy', grant_types: [GRANT, 'client_credentials'], response_types: [], redirect_uris: [], ...metadata }, undefined, { ...insecure, initialAccessToken });
    };
    await expect(register({ latchkey_exchange_audiences: [INVENTORY] })).rejects.toMatchObject({ error: 'invalid_client_metadata' });
    await expect(register({ latchkey_exchange_mode: 'impersonation' })).rejects.toMatchObject({ error: 'invalid_client_metadata' });
    // The grant type alone it may register; with no audiences an administrator set, it gets nothing.
    const greedy = await register({});
    const metadata = greedy.clientMetadata();
    const { status, body } = await exchange({ id: greedy.clientMetadata().client_id, secret: String(metadata.client_secret) }, { subject_token: userToken, resource: INVENTORY });
    expect(body).toMatchObject({ error: 'unauthorized_client' });
    expect(status).toBe(400);
  });

  it('stops exchanged tokens and further exchanges when the account is disabled', async () => {
    const { body } = await exchange(ordersApi, { subject_token: userToken, resource: LEDGER });
    const ledgerToken = String(body.access_token);
    expect(await introspect(ledgerApi, ledgerToken)).toMatchObject({ active: true });
    await server.container.accounts.setStatus(user.id, 'disabled');
    expect(await introspect(ledgerApi, ledgerToken)).toEqual({ active: false });
    expect(await exchange(ordersApi, { subject_token: userToken, resource: INVENTORY })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});
