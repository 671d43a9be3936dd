import * as oidc from 'openid-client';

import { buildAdminRoutes, createAdminRouter } from '../../../src/admin/admin-router.js';
import { toOpenApiPath } from '../../../src/admin/openapi.js';
import { Browser } from '../../support/browser.js';
import { basicAuthorization } from '../../support/register-client.js';
import { approveConsent, buildAuthorizationRequest, redeem, REDIRECT_URI, signIn } from '../../support/sign-in.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };

describe('admin API', () => {
  let server: TestServer;
  let adminToken: string;
  let plainToken: string;

  async function clientCredentialsToken(clientId: string, secret: string, scope?: string): Promise<string> {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
    });
    const body = (await response.json()) as { access_token?: string; error?: string };
    if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async function api(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${server.url}/admin/v1${path}`, {
      method,
      headers: {
        ...(options.token === undefined ? { authorization: `Bearer ${adminToken}` } : options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  beforeAll(async () => {
    server = await startTestServer();
    const admin = await server.container.clients.create({ name: 'Ops robot', admin: true, scope: 'openid' });
    adminToken = await clientCredentialsToken(String(admin.metadata.client_id), admin.clientSecret ?? '', 'admin');
    const plain = await server.container.clients.create({ name: 'Plain service', scope: 'openid' });
    plainToken = await clientCredentialsToken(String(plain.metadata.client_id), plain.clientSecret ?? '');
  });

  afterAll(async () => {
    await server.stop();
  });

  it('answers 401 without a valid token and 403 without the admin scope', async () => {
    expect(await api('GET', '/clients', { token: '' })).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(await api('GET', '/clients', { token: 'not-a-token' })).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(await api('GET', '/clients', { token: plainToken })).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
    expect((await api('GET', '/clients')).status).toBe(200);
  });

  it('registers a client whose secret is shown once, and that client signs a user in', async () => {
    const created = await api('POST', '/clients', { body: { client_name: 'Shop', redirect_uris: [REDIRECT_URI], scope: 'openid email profile' } });
    expect(created.status).toBe(201);
    const clientId = String(created.body.client_id);
    const secret = String(created.body.client_secret);
    const shown = await api('GET', `/clients/${clientId}`);
    expect(shown.body).not.toHaveProperty('client_secret');
    expect(JSON.stringify((await api('GET', '/clients?limit=200')).body)).not.toContain(secret);

    const { account, totp } = await server.container.accounts.createAccount({ email: 'shopper@example.com', password: 'shopper passphrase', withTotp: true });
    const config = await oidc.discovery(new URL(server.url), clientId, { client_secret: secret }, oidc.ClientSecretBasic(secret), insecure);
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config);
    const consent = await signIn(browser, request, { email: account.email, password: 'shopper passphrase', totpSecret: totp?.secret ?? '' }, 0);
    if (typeof consent === 'string') throw new Error('expected consent');
    const tokens = await redeem(config, await approveConsent(browser, consent), request);
    expect(tokens.claims()?.sub).toBe(account.id);
  });

  it('validates bodies with clear 400s and writes nothing on a bad change', async () => {
    expect(await api('POST', '/clients', { body: { client_name: 'X', redirect_uris: ['http://evil.example.com/cb'] } })).toMatchObject({
      status: 400, body: { error: 'invalid_client_metadata', error_description: expect.stringMatching(/https outside localhost/) },
    });
    expect(await api('POST', '/clients', { body: { client_name: 'X', colour: 'blue' } })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await api('POST', '/clients', { body: '{not json' })).toMatchObject({ status: 400, body: { error_description: 'The request body is not valid JSON.' } });
    const created = await api('POST', '/clients', { body: { client_name: 'Stable', redirect_uris: ['https://stable.example.com/cb'] } });
    const id = String(created.body.client_id);
    const bad = await api('PATCH', `/clients/${id}`, { body: { client_name: 'Renamed', redirect_uris: ['https://ok.example.com/cb#fragment'] } });
    expect(bad.status).toBe(400);
    expect((await api('GET', `/clients/${id}`)).body).toMatchObject({ client_name: 'Stable', redirect_uris: ['https://stable.example.com/cb'] });
    const good = await api('PATCH', `/clients/${id}`, { body: { client_name: 'Renamed' } });
    expect(good.body).toMatchObject({ client_name: 'Renamed', redirect_uris: ['https://stable.example.com/cb'], require_pushed_authorization_requests: false });
    const strict = await api('PATCH', `/clients/${id}`, { body: { require_pushed_authorization_requests: true, dpop_bound_access_tokens: true } });
    expect(strict.body).toMatchObject({ client_name: 'Renamed', require_pushed_authorization_requests: true, dpop_bound_access_tokens: true });
    expect(await api('PATCH', `/clients/${id}`, { body: { dpop_bound_access_tokens: 'yes' } })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await api('PATCH', `/clients/${id}`, { body: { token_exchange_audiences: ['https://unregistered.example.com'] } })).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    const rotated = await api('POST', `/clients/${id}/secret`);
    expect(rotated.body.client_secret).toEqual(expect.any(String));
    expect((await api('DELETE', `/clients/${id}`)).status).toBe(204);
    expect(await api('GET', `/clients/${id}`)).toMatchObject({ status: 404, body: { error: 'client_not_found' } });
  });

  it('manages users and pages through them', async () => {
    const created = await api('POST', '/users', { body: { email: 'Api.User@example.com', name: 'Api User', password: 'an api passphrase', with_totp: true } });
    expect(created).toMatchObject({ status: 201, body: { email: 'api.user@example.com', totp_enrolled: true, totp: { secret: expect.any(String) } } });
    const id = String(created.body.id);
    expect(await api('POST', '/users', { body: { email: 'api.user@example.com', password: 'an api passphrase' } })).toMatchObject({ status: 409, body: { error: 'email_taken' } });
    expect(await api('PATCH', `/users/${id}`, { body: { status: 'disabled', password: 'short' } })).toMatchObject({ status: 400 });
    expect((await api('GET', `/users/${id}`)).body).toMatchObject({ status: 'active' });
    expect(await api('PATCH', `/users/${id}`, { body: { status: 'disabled', name: 'Renamed' } })).toMatchObject({ status: 200, body: { status: 'disabled', name: 'Renamed' } });
    expect(await api('POST', `/users/${id}/totp/reset`)).toMatchObject({ status: 200, body: { totp_enrolled: false } });
    const page = await api('GET', '/users?limit=1');
    expect((page.body.users as unknown[]).length).toBe(1);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    expect(await api('GET', '/users?limit=0')).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect((await api('DELETE', `/users/${id}`)).status).toBe(204);
    expect(await api('GET', `/users/${id}`)).toMatchObject({ status: 404 });
  });

  it('reads and writes profile claims, and refuses a bad claim without changing anything', async () => {
    const created = await api('POST', '/users', { body: { email: 'profiled@example.com', password: 'an api passphrase', profile: { given_name: 'Alan', zoneinfo: 'Europe/London' } } });
    expect(created).toMatchObject({ status: 201, body: { profile: { given_name: 'Alan', zoneinfo: 'Europe/London' }, attributes: {} } });
    const id = String(created.body.id);
    const patched = await api('PATCH', `/users/${id}`, { body: { name: 'Alan Turing', profile: { family_name: 'Turing', zoneinfo: null, address: { locality: 'Wilmslow' } } } });
    expect(patched).toMatchObject({ status: 200, body: { name: 'Alan Turing', profile: { given_name: 'Alan', family_name: 'Turing', address: { locality: 'Wilmslow' } } } });
    expect(patched.body.profile).not.toHaveProperty('zoneinfo');
    const refused = await api('PATCH', `/users/${id}`, { body: { status: 'disabled', profile: { birthdate: 'yesterday' } } });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_account', error_description: expect.stringContaining('birthdate') } });
    expect((await api('GET', `/users/${id}`)).body).toMatchObject({ status: 'active', profile: patched.body.profile });
    expect(await api('PATCH', `/users/${id}`, { body: { attributes: { department: 'Bletchley' } } })).toMatchObject({ status: 400, body: { error_description: expect.stringContaining('unknown attribute department') } });
  });

  it('sets and clears a confidential client\'s PKCE requirement; a public client always needs PKCE', async () => {
    const created = await api('POST', '/clients', { body: { client_name: 'Strict RP', redirect_uris: ['https://rp.example.com/cb'], pkce_required: true } });
    expect(created).toMatchObject({ status: 201, body: { latchkey_pkce_required: true } });
    const id = String(created.body.client_id);
    const relaxed = await api('PATCH', `/clients/${id}`, { body: { pkce_required: null } });
    expect(relaxed.status).toBe(200);
    expect(relaxed.body).not.toHaveProperty('latchkey_pkce_required');
    expect(await api('POST', '/clients', { body: { client_name: 'Lax SPA', public: true, redirect_uris: ['https://spa.example.com/cb'], pkce_required: false } }))
      .toMatchObject({ status: 400, body: { error_description: expect.stringContaining('always uses PKCE') } });
  });

  it('lists audit events with filters and a cursor, including admin changes', async () => {
    await server.container.audit.flush();
    const created = await api('GET', '/audit?type=client.created&limit=2');
    expect(created.status).toBe(200);
    const events = created.body.events as Array<Record<string, unknown>>;
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ type: 'client.created', outcome: 'success', details: { via: 'admin_api' }, ip: expect.any(String) });
    const next = await api('GET', `/audit?type=client.created&limit=2&cursor=${String(created.body.next_cursor)}`);
    expect((next.body.events as Array<{ id: string }>).every((event) => event.id < String(events[1]?.id))).toBe(true);
    expect(await api('GET', '/audit?since=yesterday')).toMatchObject({ status: 400 });
  });

  it('publishes an OpenAPI 3.1 document that covers exactly the routes served', async () => {
    const response = await fetch(`${server.url}/admin/v1/openapi.json`);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(document.openapi).toBe('3.1.0');
    const { container } = server;
    const deps = {
      provider: container.provider,
      loadClientRecord: container.loadClientRecord,
      clients: container.clients,
      resources: container.resources,
      accounts: container.accounts,
      audit: container.audit,
      auditStore: container.auditStore,
      issuer: server.url,
    };
    const router = createAdminRouter(deps);
    const served = router.stack
      .map((layer) => ({ path: String(layer.path), methods: layer.methods }))
      .filter((layer) => !layer.path.endsWith('/openapi.json'))
      .flatMap((layer) => layer.methods.filter((method) => method !== 'HEAD').map((method) => `${method.toLowerCase()} ${toOpenApiPath(layer.path.replace('/admin/v1', ''))}`))
      .sort();
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`)).sort();
    expect(documented).toEqual(served);
    for (const route of buildAdminRoutes(deps)) {
      const operation = document.paths[toOpenApiPath(route.path)]?.[route.method];
      expect(Boolean(operation?.requestBody)).toBe(Boolean(route.body));
    }
    expect(document.paths['/clients']?.post?.requestBody).toMatchObject({ content: { 'application/json': { schema: { required: ['client_name'], additionalProperties: false } } } });
  });
});
