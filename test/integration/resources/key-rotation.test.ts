import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader } from 'jose';

import { createResourceServer } from '../../../examples/resource-server/resource-server.js';
import { runCli } from '../../../src/cli/main.js';
import { basicAuthorization } from '../../support/register-client.js';
import { dataKeyEnv } from '../../support/test-env.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

const API = 'https://rotating.example.com';

describe('signing key rotation without downtime', () => {
  let server: TestServer;
  let client: { id: string; secret: string };
  const listeners: Server[] = [];

  async function keysCli(args: string[]): Promise<Record<string, unknown>> {
    let stdout = '';
    let stderr = '';
    const env = { KEYS_DIR: server.container.config.keysDir, MONGODB_URI: server.container.config.mongodbUri ?? '', DATA_ENCRYPTION_KEY: dataKeyEnv(server.container.config) };
    const code = await runCli([...args, '--json'], { env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readStdin: async () => '' });
    if (code !== 0) throw new Error(stderr);
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  async function jwt(): Promise<string> {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'read' }),
    });
    return String(((await response.json()) as { access_token: string }).access_token);
  }

  async function resourceServer(): Promise<string> {
    const listener = createServer(createResourceServer({ issuer: server.url, audience: API }).callback());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listeners.push(listener);
    return `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  }

  async function accepted(rs: string, token: string): Promise<boolean> {
    return (await fetch(rs, { headers: { authorization: `Bearer ${token}` } })).status === 200;
  }

  async function publishedKids(): Promise<string[]> {
    const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    return jwks.keys.map((key) => key.kid);
  }

  beforeAll(async () => {
    server = await startTestServer();
    await server.container.resources.create({ identifier: API, scope: 'read', format: 'jwt' });
    const created = await server.container.clients.create({ name: 'Rotating job', scope: 'openid', resources: [API] });
    client = { id: String(created.metadata.client_id), secret: created.clientSecret ?? '' };
  });

  afterAll(async () => {
    await Promise.all(listeners.map((listener) => new Promise((resolve) => listener.close(resolve))));
    await server.stop();
  });

  it('rotates at once by hand (a key that must stop signing now): old tokens keep verifying, new ones carry the new key, the old key stays published until it retires', async () => {
    const rs = await resourceServer();
    const before = await jwt();
    const oldKid = decodeProtectedHeader(before).kid;
    expect(await accepted(rs, before)).toBe(true);

    const listed = (await keysCli(['keys', 'list'])).keys as Array<{ kid: string; alg: string; state: string }>;
    expect(listed.filter((key) => key.state === 'active').map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);

    // The JWKS and discovery are served from a body computed once: an ETag, 304 on revalidation,
    // Cache-Control, and the open CORS the provider gives them.
    const jwksBefore = await fetch(`${server.url}/jwks`, { headers: { origin: 'https://app.example.com' } });
    const etag = jwksBefore.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(jwksBefore.headers.get('cache-control')).toBe('public, max-age=600');
    const again = await fetch(`${server.url}/jwks`, { headers: { origin: 'https://other.example.com' } });
    expect(again.headers.get('access-control-allow-origin')).toBe('https://other.example.com');
    expect(again.headers.get('content-type')).toBe('application/jwk-set+json; charset=utf-8');
    expect(await again.text()).toBe(await jwksBefore.text());
    expect((await fetch(`${server.url}/jwks`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const discovery = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(discovery.headers.get('cache-control')).toBe('public, max-age=3600');
    expect((await fetch(`${server.url}/.well-known/openid-configuration`, { headers: { 'if-none-match': discovery.headers.get('etag') ?? '' } })).status).toBe(304);

    const rotated = await keysCli(['keys', 'rotate', '--immediately']);
    const keys = rotated.keys as Array<{ kid: string; alg: string; state: string; retires_at?: string }>;
    expect((rotated.created as unknown[]).length).toBe(2);
    expect(keys.filter((key) => key.state === 'active').map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    const old = keys.find((key) => key.kid === oldKid);
    expect(old?.state).toBe('retired');
    expect(Date.parse(old?.retires_at ?? '')).toBeGreaterThan(Date.now() + 3600_000);
    // A second rotation right away leaves the scheduled successors alone... they are active now,
    // so it schedules the next ones; the audit trail has each.
    await server.container.reloadKeys();
    const after = await jwt();
    const newKid = decodeProtectedHeader(after).kid;
    expect(newKid).not.toBe(oldKid);
    expect(await publishedKids()).toEqual(expect.arrayContaining([oldKid, newKid]));
    const jwksAfter = await fetch(`${server.url}/jwks`, { headers: { 'if-none-match': etag } });
    expect(jwksAfter.status).toBe(200);
    expect(jwksAfter.headers.get('etag')).not.toBe(etag);

    // The same resource server, with its cached key set, accepts both (it refetches the key set
    // for the unknown kid once its one-second cooldown has passed).
    expect(await accepted(rs, before)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await accepted(rs, after)).toBe(true);

    // Retiring removes nothing before the retirement time.
    expect(await keysCli(['keys', 'retire'])).toMatchObject({ removed: [] });
    expect(await publishedKids()).toContain(oldKid);
    await server.container.audit.flush();
    expect(await server.container.auditStore.query({ type: 'signing_keys.rotated', limit: 10 })).toHaveLength(2);
  });
});
