import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';

import { createResourceServer } from '../../../examples/resource-server/resource-server.js';
import { runCli } from '../../../src/cli/main.js';
import { basicAuthorization } from '../../support/register-client.js';
import { dataKeyEnv } from '../../support/test-env.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

const API = 'https://api.example.com';
const OPAQUE_API = 'https://ledger.example.com';
const OTHER_API = 'https://other.example.com';

describe('tokens for registered resource servers, checked by the example resource server', () => {
  let server: TestServer;
  let service: { id: string; secret: string };
  let rsClient: { id: string; secret: string };
  const listeners: Server[] = [];

  async function listen(audience: string): Promise<string> {
    const app = createResourceServer({ issuer: server.url, audience, introspection: { clientId: rsClient.id, clientSecret: rsClient.secret } });
    const listener = createServer(app.callback());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listeners.push(listener);
    return `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  }

  async function token(params: Record<string, string>, client = service): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function call(rs: string, accessToken: string): Promise<number> {
    return (await fetch(`${rs}/anything`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  }

  beforeAll(async () => {
    server = await startTestServer();
    const { resources, clients } = server.container;
    const rs = await clients.create({ name: 'API itself', scope: 'openid' });
    rsClient = { id: String(rs.metadata.client_id), secret: rs.clientSecret ?? '' };
    await resources.create({ identifier: API, scope: 'read write', format: 'jwt', ttlSeconds: 300, introspectors: [rsClient.id] });
    await resources.create({ identifier: OPAQUE_API, scope: 'read', format: 'opaque', introspectors: [rsClient.id] });
    await resources.create({ identifier: OTHER_API, scope: 'read', format: 'jwt' });
    const created = await clients.create({ name: 'Billing job', scope: 'openid', resources: [API, OPAQUE_API] });
    service = { id: String(created.metadata.client_id), secret: created.clientSecret ?? '' };
  });

  afterAll(async () => {
    await Promise.all(listeners.map((listener) => new Promise((resolve) => listener.close(resolve))));
    await server.stop();
  });

  it('issues an RFC 9068 JWT for a JWT resource, which its resource server accepts offline and another refuses', async () => {
    const { status, body } = await token({ resource: API, scope: 'read' });
    expect(status).toBe(200);
    const accessToken = String(body.access_token);
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const claims = decodeJwt(accessToken);
    expect(claims).toMatchObject({ iss: server.url, aud: API, client_id: service.id, scope: 'read', sub: service.id });
    expect(claims.exp).toBe(Number(claims.iat) + 300);
    expect(claims.jti).toEqual(expect.any(String));

    expect(await call(await listen(API), accessToken)).toBe(200);
    expect(await call(await listen(OTHER_API), accessToken)).toBe(401);
  });

  it('refuses an unregistered resource and one the client was not granted with invalid_target', async () => {
    expect(await token({ resource: 'https://unknown.example.com' })).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    expect(await token({ resource: OTHER_API })).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });

  it('issues an opaque token for an opaque resource, valid through introspection until revoked', async () => {
    const { body } = await token({ resource: OPAQUE_API, scope: 'read' });
    const accessToken = String(body.access_token);
    expect(accessToken.split('.')).toHaveLength(1);
    const rs = await listen(OPAQUE_API);
    expect(await call(rs, accessToken)).toBe(200);
    const revoked = await fetch(`${server.url}/token/revocation`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(service.id, service.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: accessToken }),
    });
    expect(revoked.status).toBe(200);
    expect(await call(rs, accessToken)).toBe(401);
  });

  it('keeps tokens without a resource opaque and useless to resource servers', async () => {
    const { body } = await token({});
    const accessToken = String(body.access_token);
    expect(accessToken.split('.')).toHaveLength(1);
    expect(await call(await listen(OPAQUE_API), accessToken)).toBe(401);
  });

  it('lets only the named introspector read a resource token besides its own client', async () => {
    const { body } = await token({ resource: OPAQUE_API, scope: 'read' });
    const stranger = await server.container.clients.create({ name: 'Stranger', scope: 'openid' });
    const response = await fetch(`${server.url}/token/introspection`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(String(stranger.metadata.client_id), stranger.clientSecret ?? ''), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: String(body.access_token) }),
    });
    expect(await response.json()).toEqual({ active: false });
  });

  it('registers, lists and deletes resource servers from the CLI, and rejects bad identifiers', async () => {
    const config = server.container.config;
    const env = { MONGODB_URI: config.mongodbUri ?? '', REDIS_URL: config.redisUrl ?? '', DATA_ENCRYPTION_KEY: dataKeyEnv(config) };
    const cli = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, { env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readStdin: async () => '' });
      return { code, stdout, stderr };
    };
    const created = await cli(['resources', 'create', '--identifier', 'https://cli.example.com', '--scope', 'read write', '--format', 'opaque', '--ttl', '900', '--json']);
    expect(JSON.parse(created.stdout)).toMatchObject({ identifier: 'https://cli.example.com', scope: 'read write', format: 'opaque', ttl: 900 });
    const listed = JSON.parse((await cli(['resources', 'list', '--json'])).stdout) as { resources: Array<{ identifier: string }> };
    expect(listed.resources.map((resource) => resource.identifier)).toEqual(expect.arrayContaining([API, 'https://cli.example.com']));
    expect((await cli(['resources', 'create', '--identifier', 'https://cli.example.com'])).stderr).toMatch(/already registered/);
    expect((await cli(['resources', 'create', '--identifier', 'http://api.example.com'])).stderr).toMatch(/must use https/);
    expect((await cli(['resources', 'create', '--identifier', 'https://x.example.com#f'])).stderr).toMatch(/fragment/);
    expect((await cli(['clients', 'create', '--name', 'X', '--resource', 'https://nope.example.com'])).stderr).toMatch(/not a registered resource server/);
    expect(JSON.parse((await cli(['resources', 'delete', 'https://cli.example.com', '--json'])).stdout)).toEqual({ identifier: 'https://cli.example.com', deleted: true });
  });
});
