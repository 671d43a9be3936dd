import { Redis } from 'ioredis';
import * as oidc from 'openid-client';

import { basicAuthorization, registerClient, type RegisteredClient } from '../../support/register-client.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };

describe('token endpoints through Redis and MongoDB, driven by openid-client', () => {
  let server: TestServer;
  let registered: RegisteredClient;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    expect(server.container.storage).toEqual({ redis: 'redis', mongo: 'mongodb' });
    registered = await registerClient(server.container);
    config = await oidc.discovery(
      new URL(server.url),
      registered.clientId,
      { client_secret: registered.clientSecret },
      oidc.ClientSecretBasic(registered.clientSecret),
      insecure,
    );
  });

  afterAll(async () => {
    await server.stop();
  });

  it('publishes discovery with every endpoint this build serves', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.url);
    for (const endpoint of ['token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint', 'registration_endpoint']) {
      expect(metadata[endpoint]).toEqual(expect.stringMatching(new RegExp(`^${server.url}/`)));
    }
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).not.toContain('id_token');
    expect(metadata.grant_types_supported).not.toContain('implicit');
  });

  it('serves only the public parts of the signing keys', async () => {
    const response = await fetch(`${server.url}/jwks`);
    const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of jwks.keys) {
      for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(privateMember);
      expect(Object.keys(key).some((member) => member.startsWith('latchkey_'))).toBe(false);
    }
  });

  it('issues a client_credentials token, introspects it, revokes it, and then reports it inactive', async () => {
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBeGreaterThan(0);

    const active = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: registered.clientId, iss: server.url });

    await oidc.tokenRevocation(config, tokens.access_token);
    const revoked = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(revoked.active).toBe(false);
  });

  it('keeps tokens in Redis under the configured prefix, with a TTL', async () => {
    const tokens = await oidc.clientCredentialsGrant(config);
    const redis = new Redis(server.container.config.redisUrl ?? '');
    try {
      const key = `${server.container.config.redisKeyPrefix}ClientCredentials:{${tokens.access_token}}`;
      expect(await redis.exists(key)).toBe(1);
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(server.container.config.ttl.clientCredentialsSeconds);
    } finally {
      await redis.quit();
    }
  });

  it('lets a second instance on the same Redis and MongoDB introspect what the first issued', async () => {
    const tokens = await oidc.clientCredentialsGrant(config);
    const peer = await startPeer(server);
    try {
      const response = await fetch(`${peer}/token/introspection`, {
        method: 'POST',
        headers: {
          authorization: basicAuthorization(registered.clientId, registered.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token: tokens.access_token }),
      });
      expect(await response.json()).toMatchObject({ active: true, client_id: registered.clientId });
    } finally {
      await stopPeer();
    }
  });

  it('rejects a wrong client secret with invalid_client', async () => {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(registered.clientId, 'wrong-secret'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it("does not tell one client about another client's token", async () => {
    const other = await registerClient(server.container);
    const otherConfig = await oidc.discovery(
      new URL(server.url),
      other.clientId,
      { client_secret: other.clientSecret },
      oidc.ClientSecretBasic(other.clientSecret),
      insecure,
    );
    const tokens = await oidc.clientCredentialsGrant(config);
    expect((await oidc.tokenIntrospection(otherConfig, tokens.access_token)).active).toBe(false);
    await expect(oidc.tokenRevocation(otherConfig, tokens.access_token)).rejects.toMatchObject({ error: 'invalid_request' });
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
  });

  it('registers a client dynamically with an initial access token, and the new client gets tokens', async () => {
    const initialAccessToken = await new server.container.provider.InitialAccessToken({}).save();
    const registeredConfig = await oidc.dynamicClientRegistration(
      new URL(server.url),
      { client_name: 'Dynamic', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' },
      oidc.ClientSecretBasic(),
      { ...insecure, initialAccessToken },
    );
    const metadata = registeredConfig.clientMetadata();
    expect(metadata.client_id).toEqual(expect.any(String));
    expect(metadata.registration_access_token).toEqual(expect.any(String));
    const tokens = await oidc.clientCredentialsGrant(registeredConfig);
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  it('refuses dynamic registration without an initial access token', async () => {
    const response = await fetch(`${server.url}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['https://rp.example.com/cb'] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('reports ready when Redis and MongoDB answer', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', shutting_down: false, checks: { redis: 'ok', mongodb: 'ok' } });
  });

  it('never logs token values or client secrets', async () => {
    const tokens = await oidc.clientCredentialsGrant(config);
    await oidc.tokenIntrospection(config, tokens.access_token);
    const basic = Buffer.from(`${registered.clientId}:${registered.clientSecret}`).toString('base64');
    // A secret where a careless line would pick it up: the query string of a logged path.
    await fetch(`${server.url}/token?client_secret=${encodeURIComponent(registered.clientSecret)}`, { method: 'POST' });
    const log = server.logLines().join('\n');
    expect(log).not.toContain(registered.clientSecret);
    expect(log).not.toContain(encodeURIComponent(registered.clientSecret));
    expect(log).not.toContain(tokens.access_token);
    expect(log).not.toContain(basic);
    expect(log).toContain('"path":"/token"');
    expect(log).toContain('"path":"/token/introspection"');
    expect(log).toContain('"type":"token.issued"');
  });
});

let peerStop: (() => Promise<void>) | undefined;

/** A second Latchkey instance on the same stores: what a load balancer would put beside the first. */
async function startPeer(first: TestServer): Promise<string> {
  const { createContainer } = await import('../../../src/container.js');
  const { startServer } = await import('../../../src/server.js');
  const { createCapturingLogger } = await import('../../support/test-env.js');
  const container = await createContainer(first.container.config, createCapturingLogger().logger);
  const running = await startServer(container, 0, '127.0.0.1');
  peerStop = () => running.close();
  return running.url;
}

async function stopPeer(): Promise<void> {
  await peerStop?.();
}
