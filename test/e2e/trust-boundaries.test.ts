import { runCli } from '../../src/cli/main.js';
import { basicAuthorization } from '../support/register-client.js';
import { dataKeyEnv } from '../support/test-env.js';
import { startTestCluster, startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The boundary between a client that registered itself (RFC 7591/7592) and an administrator,
 * tried over HTTP exactly as an attacker holding an initial access token would.
 */
describe('a self-registered client cannot grant itself what an administrator grants', () => {
  let server: TestServer;
  const RESOURCE = 'https://api.boundaries.example.com';

  beforeAll(async () => {
    server = await startTestServer();
    await server.container.resources.create({ identifier: RESOURCE, scope: 'read', format: 'jwt' });
  });

  afterAll(async () => {
    await server.stop();
  });

  async function initialAccessToken(): Promise<string> {
    return new server.container.provider.InitialAccessToken({}).save();
  }

  async function register(metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${server.url}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await initialAccessToken()}` },
      body: JSON.stringify(metadata),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function token(clientId: string, secret: string, params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function adminUsers(accessToken: string): Promise<number> {
    return (await fetch(`${server.url}/admin/v1/users`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  }

  const service = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' };

  it('gives a client registered without scope the documented default scopes, never admin', async () => {
    const registered = await register(service);
    expect(registered.status).toBe(201);
    expect(String(registered.body.scope).split(' ').sort()).toEqual([...server.container.config.scopes].sort());
    const clientId = String(registered.body.client_id);
    const secret = String(registered.body.client_secret);

    const asked = await token(clientId, secret, { scope: 'admin' });
    expect(asked).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const plain = await token(clientId, secret, {});
    expect(plain.status).toBe(200);
    expect(String(plain.body.scope ?? '')).not.toContain('admin');
    expect(await adminUsers(String(plain.body.access_token))).toBe(403);
  });

  it.each([
    ['the admin scope', { scope: 'admin' }],
    ['the admin scope among others', { scope: 'openid admin' }],
    ['first_party', { first_party: true }],
    ['registered resources', { latchkey_resources: [RESOURCE] }],
    ['the administrator mark', { latchkey_admin: true }],
    ['an admin generation', { latchkey_admin_generation: 'guessed' }],
    ['an exemption from PKCE', { latchkey_pkce_required: false }],
  ])('refuses registration that asks for %s', async (_what, extra) => {
    const registered = await register({ ...service, ...extra });
    expect(registered.status).toBe(400);
    expect(registered.body).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('administrator') });
  });

  it.each([
    ['first_party', { first_party: true }],
    ['registered resources', { latchkey_resources: [RESOURCE] }],
    ['the administrator mark', { latchkey_admin: true }],
    ['an admin generation', { latchkey_admin_generation: 'guessed' }],
    ['the admin scope', { scope: 'admin' }],
    ['an exemption from PKCE', { latchkey_pkce_required: false }],
  ])('refuses an RFC 7592 update that sets %s, and leaves the client as it was', async (_what, extra) => {
    const registered = await register({ ...service, scope: 'openid' });
    expect(registered.status).toBe(201);
    const clientUri = String(registered.body.registration_client_uri);
    const update = await fetch(clientUri, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${String(registered.body.registration_access_token)}` },
      body: JSON.stringify({ ...service, client_id: registered.body.client_id, client_secret: registered.body.client_secret, scope: 'openid', ...extra }),
    });
    expect(update.status).toBe(400);
    expect(await update.json()).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('administrator') });

    const stored = await server.container.clients.get(String(registered.body.client_id));
    expect(stored.first_party ?? false).toBe(false);
    expect(stored.latchkey_resources ?? []).toEqual([]);
    expect(stored.latchkey_admin ?? false).toBe(false);
    expect(stored.latchkey_pkce_required).toBeUndefined();
    expect(String(stored.scope)).toBe('openid');
    // The resource cannot be reached either.
    const resourceToken = await token(String(registered.body.client_id), String(registered.body.client_secret), { resource: RESOURCE, scope: 'read' });
    expect(resourceToken.body.error).toBe('invalid_target');
  });
  it('keeps what an administrator granted through the client\'s own RFC 7592 updates, repeated or left out', async () => {
    const registered = await register({ ...service, scope: 'openid' });
    const clientId = String(registered.body.client_id);
    await server.container.clients.update(clientId, { firstParty: true });
    const put = async (extra: Record<string, unknown>, token: string): Promise<Record<string, unknown>> => {
      const response = await fetch(String(registered.body.registration_client_uri), {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ ...service, client_id: clientId, client_secret: registered.body.client_secret, scope: 'openid', client_name: 'Renamed', ...extra }),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    const repeated = await put({ first_party: true }, String(registered.body.registration_access_token));
    const omitted = await put({}, String(repeated.registration_access_token));
    expect(omitted).toMatchObject({ client_name: 'Renamed', first_party: true });
    expect((await server.container.clients.get(clientId)).first_party).toBe(true);
  });
});

describe('initial access tokens with a registration policy', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  async function policyToken(policy: string): Promise<string> {
    const { config } = server.container;
    let stdout = '';
    const env = { MONGODB_URI: config.mongodbUri ?? '', REDIS_URL: config.redisUrl ?? '', DATA_ENCRYPTION_KEY: dataKeyEnv(config) };
    const code = await runCli(['initial-access-token', 'create', '--policy', policy, '--json'], { env, stdout: (text) => (stdout += text), stderr: () => undefined, readStdin: async () => '' });
    expect(code).toBe(0);
    return String((JSON.parse(stdout) as { initial_access_token: string }).initial_access_token);
  }

  async function register(token: string, metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${server.url}/reg`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(metadata) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const webApp = { redirect_uris: ['https://app.example.com/cb'], grant_types: ['authorization_code'], response_types: ['code'] };
  const serviceClient = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };

  it('lets a "service" token register only client_credentials clients, with the policy scopes by default', async () => {
    const refused = await register(await policyToken('service'), webApp);
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata', error_description: expect.stringContaining('not allowed by the registration policy "service"') } });
    const tooMuch = await register(await policyToken('service'), { ...serviceClient, scope: 'openid email' });
    expect(tooMuch).toMatchObject({ status: 400, body: { error_description: expect.stringContaining('scope email is not allowed') } });
    const accepted = await register(await policyToken('service'), serviceClient);
    expect(accepted).toMatchObject({ status: 201, body: { scope: 'openid' } });

    // The registration access token inherits the policy: self-management cannot widen it.
    const update = await fetch(String(accepted.body.registration_client_uri), {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${String(accepted.body.registration_access_token)}` },
      body: JSON.stringify({ ...webApp, client_id: accepted.body.client_id, client_secret: accepted.body.client_secret }),
    });
    expect(update.status).toBe(400);
    expect(await update.json()).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('registration policy "service"') });
  });
});

describe('admin tokens live only as long as the administrator says', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  async function adminToken(clientId: string, secret: string): Promise<string> {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    });
    const body = (await response.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`no admin token: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async function listUsers(accessToken: string): Promise<number> {
    return (await fetch(`${server.url}/admin/v1/users`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  }

  async function newAdmin(): Promise<{ clientId: string; token: string }> {
    const created = await server.container.clients.create({ name: 'Ops robot', admin: true });
    const clientId = String(created.metadata.client_id);
    return { clientId, token: await adminToken(clientId, created.clientSecret ?? '') };
  }

  it('ends outstanding admin tokens when the client is demoted', async () => {
    const { clientId, token } = await newAdmin();
    expect(await listUsers(token)).toBe(200);
    await server.container.clients.update(clientId, { admin: false });
    expect(await listUsers(token)).toBe(401);
  });

  it('ends outstanding admin tokens when the client is deleted', async () => {
    const { clientId, token } = await newAdmin();
    await server.container.clients.delete(clientId);
    expect(await listUsers(token)).toBe(401);
  });

  it('ends outstanding admin tokens when the secret is rotated, and the new secret works at once', async () => {
    const { clientId, token } = await newAdmin();
    const rotated = await server.container.clients.rotateSecret(clientId);
    expect(await listUsers(token)).toBe(401);
    expect(await listUsers(await adminToken(clientId, rotated.clientSecret ?? ''))).toBe(200);
  });

  it('does not bring old tokens back when a demoted client is promoted again', async () => {
    const { clientId, token } = await newAdmin();
    await server.container.clients.update(clientId, { admin: false });
    await server.container.clients.update(clientId, { admin: true });
    expect(await listUsers(token)).toBe(401);
  });
});

describe('admin tokens across instances', () => {
  it('refuses a demoted client on every instance at once', async () => {
    const cluster = await startTestCluster({ instances: 2 });
    try {
      const [first] = cluster.containers;
      if (!first) throw new Error('the cluster has no instance');
      const created = await first.clients.create({ name: 'Ops robot', admin: true });
      const clientId = String(created.metadata.client_id);
      const response = await fetch(`${cluster.url}/token`, {
        method: 'POST',
        headers: { authorization: basicAuthorization(clientId, created.clientSecret ?? ''), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
      });
      const { access_token: token } = (await response.json()) as { access_token: string };
      const statuses = async (): Promise<number[]> =>
        Promise.all(cluster.instanceUrls.map(async (url) => (await fetch(`${url}/admin/v1/users`, { headers: { authorization: `Bearer ${token}` } })).status));
      // Both instances have the client cached now.
      expect(await statuses()).toEqual([200, 200]);
      await first.clients.update(clientId, { admin: false });
      expect(await statuses()).toEqual([401, 401]);
    } finally {
      await cluster.stop();
    }
  });
});
